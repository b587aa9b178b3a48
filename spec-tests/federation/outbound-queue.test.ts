// The outbound transaction queue against a peer over TLS that is down, comes back, rejects a
// transaction, and a sender that restarts: ordering, transaction limits, one transaction in
// flight, exponential backoff, X-Matrix signatures on every transaction, persistence, and the
// queue policy: catch-up collapses a room's PDUs to stepping stones, EDUs are coalesced or
// dropped per kind (essential ones never), and a per-destination cap sheds droppable items.
import { rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { verifyJsonSignature } from '../../src/core/signing.js';
import { parseXMatrixHeader, xMatrixSignable } from '../../src/core/x-matrix.js';
import { retryDelayMs } from '../../src/services/federation/backoff.js';
import { MAX_EDUS_PER_TRANSACTION, MAX_PDUS_PER_TRANSACTION } from '../../src/services/federation/outbound-queue.js';
import { CATCH_UP_DEPTH_STRIDE, MAX_QUEUED_PER_DESTINATION, redundantStones } from '../../src/services/federation/outbound/queue-policy.js';
import { makeTempDir } from '../support/server.js';
import { startFederatingServer, type FederatingServer } from './support/federating-server.js';
import { json, startFakeHttps, type FakeHttpsServer, type RecordedRequest } from './support/fake-https.js';
import { freePort } from './support/free-port.js';
import { createTestCa, type TestCa } from './support/test-ca.js';

interface ReceivedTransaction {
  readonly txnId: string;
  readonly body: JsonObject;
  readonly signatureValid: boolean;
}

interface ReceivedEdu {
  readonly edu_type: string;
  readonly content: JsonObject;
}

/** A federation peer that accepts /send transactions, checking their X-Matrix signatures. */
class Peer {
  server: FakeHttpsServer | undefined;
  readonly transactions: ReceivedTransaction[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Event ids whose transaction the peer rejects with 400. */
  readonly poison = new Set<string>();

  constructor(
    private readonly port: number,
    private readonly cert: { certPath: string; keyPath: string },
    private readonly senderKey: () => { keyId: string; publicKey: Uint8Array },
  ) {}

  async start(): Promise<void> {
    this.server = await startFakeHttps({ host: '127.0.0.2', port: this.port, ...this.cert, handler: (req, res) => this.handle(req, res) });
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  private handle(req: RecordedRequest, res: ServerResponse): void {
    const m = /^\/_matrix\/federation\/v1\/send\/([^/?]+)$/.exec(req.url);
    if (req.method !== 'PUT' || !m) return json(res, 404, { errcode: 'M_UNRECOGNIZED', error: 'no' });
    const body = JSON.parse(req.body) as JsonObject;
    const credentials = parseXMatrixHeader(String(req.headers.authorization));
    const key = this.senderKey();
    const signable = xMatrixSignable({ method: 'PUT', uri: req.url, origin: credentials.origin, destination: 'peer.test', content: body });
    const signatureValid =
      credentials.destination === 'peer.test' &&
      credentials.key === key.keyId &&
      verifyJsonSignature({ ...signable, signatures: { [credentials.origin]: { [credentials.key]: credentials.sig } } }, credentials.origin, key.keyId, key.publicKey);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    setTimeout(() => {
      this.inFlight--;
      const pdus = body['pdus'] as JsonObject[];
      if (pdus.some((p) => this.poison.has(String(p['event_id'])))) return json(res, 400, { errcode: 'M_BAD_JSON', error: 'poison' });
      this.transactions.push({ txnId: decodeURIComponent(m[1]!), body, signatureValid });
      json(res, 200, { pdus: Object.fromEntries(pdus.map((p) => [String(p['event_id']), {}])) });
    }, 10);
  }

  pdus(from = 0): JsonObject[] {
    return this.transactions.slice(from).flatMap((t) => t.body['pdus'] as JsonObject[]);
  }
  pduIds(from = 0): string[] {
    return this.pdus(from).map((p) => String(p['event_id']));
  }
  edus(from = 0, type?: string): ReceivedEdu[] {
    return this.transactions
      .slice(from)
      .flatMap((t) => t.body['edus'] as unknown as ReceivedEdu[])
      .filter((e) => type === undefined || e.edu_type === type);
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pdu = (id: string, depth: number, roomId = '!r:hs1.test'): JsonObject => ({
  event_id: id,
  type: 'm.room.message',
  room_id: roomId,
  sender: '@a:hs1.test',
  depth,
  content: { body: id },
});
const deviceList = (n: number): { edu_type: string; content: JsonObject } => ({
  edu_type: 'm.device_list_update',
  content: { user_id: '@a:hs1.test', device_id: 'D', stream_id: n, prev_id: n > 1 ? [n - 1] : [] },
});
const toDevice = (n: number): { edu_type: string; content: JsonObject } => ({
  edu_type: 'm.direct_to_device',
  content: { sender: '@a:hs1.test', type: 'm.room_key_request', message_id: `m${n}`, messages: { '@b:peer.test': { '*': { n } } } },
});
const presence = (userId: string, state: string): { edu_type: string; content: JsonObject } => ({
  edu_type: 'm.presence',
  content: { push: [{ user_id: userId, presence: state, last_active_ago: 0 }] },
});
const receipt = (userId: string, eventId: string, threadId?: string): { edu_type: string; content: JsonObject } => ({
  edu_type: 'm.receipt',
  content: { '!r:hs1.test': { 'm.read': { [userId]: { event_ids: [eventId], data: { ts: 1, ...(threadId ? { thread_id: threadId } : {}) } } } } },
});
const typing = (userId: string, on: boolean): { edu_type: string; content: JsonObject } => ({
  edu_type: 'm.typing',
  content: { room_id: '!r:hs1.test', user_id: userId, typing: on },
});

/** The delivered PDUs of one room are stepping stones: in order, first and last there, ≤ stride apart. */
function expectStones(delivered: JsonObject[], roomId: string, firstId: string, lastId: string): JsonObject[] {
  const stones = delivered.filter((p) => p['room_id'] === roomId);
  expect(stones[0]!['event_id']).toBe(firstId);
  expect(stones.at(-1)!['event_id']).toBe(lastId);
  for (let i = 1; i < stones.length; i++) {
    const gap = Number(stones[i]!['depth']) - Number(stones[i - 1]!['depth']);
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeLessThanOrEqual(CATCH_UP_DEPTH_STRIDE);
  }
  return stones;
}

let dir: string;
let ca: TestCa;
let portA: number;
let peerPort: number;
let a: FederatingServer;
let peer: Peer;

beforeAll(async () => {
  dir = makeTempDir('lattice-queue-');
  ca = createTestCa(dir);
  peerPort = await freePort('127.0.0.2');
  portA = await freePort('127.0.0.1');
  a = await startFederatingServer({ name: 'hs1.test', host: '127.0.0.1', port: portA, ca, overrides: { 'peer.test': `127.0.0.2:${peerPort}` } });
  peer = new Peer(peerPort, ca.issue('peer', ['peer.test'], ['127.0.0.2']), () => a.homeserver.services.signingKey);
}, 60_000);

afterAll(async () => {
  await peer?.stop();
  await a?.stop();
  rmSync(dir, { recursive: true, force: true });
  if (a) rmSync(a.dataDir, { recursive: true, force: true });
});

describe('outbound transaction queue', () => {
  it('backs off while the peer is down, collapsing each room to stepping stones, then delivers them in order', async () => {
    const queue = a.homeserver.services.federation.outboundQueue;
    const order: string[] = [];
    for (let i = 0; i < 120; i++) {
      // Our own server is in the room too; it is never sent to.
      queue.enqueuePdu(['peer.test', 'hs1.test'], pdu(`$e${i}`, i + 1));
      order.push(`$e${i}`);
      if (i % 24 === 0) {
        queue.enqueuePdu(['peer.test'], pdu(`$other${i / 24}`, i / 24 + 1, '!other:hs1.test'));
        order.push(`$other${i / 24}`);
      }
      if (i % 40 === 0) queue.enqueueEdu('peer.test', deviceList(i / 40 + 1));
      if (i % 60 === 0) queue.enqueueEdu('peer.test', toDevice(i / 60));
    }
    expect(queue.pendingCount('hs1.test')).toBe(0);

    await waitFor('three failed attempts', () => (queue.backoffState('peer.test')?.failureCount ?? 0) >= 3);
    expect(queue.backoffState('peer.test')!.retryAtTs).toBeGreaterThan(a.clock.now() - 1000);
    // 125 PDUs wait as about one stone per 10 depths per room; all 5 essential EDUs wait.
    const queuedPdus = queue.pendingCount('peer.test', 'pdu');
    expect(queuedPdus).toBeGreaterThanOrEqual(Math.ceil(120 / CATCH_UP_DEPTH_STRIDE) + 2);
    expect(queuedPdus).toBeLessThanOrEqual(2 * Math.ceil(120 / CATCH_UP_DEPTH_STRIDE) + 2);
    expect(queue.pendingCount('peer.test', 'edu')).toBe(5);

    await peer.start();
    await waitFor('the queue to drain', () => queue.pendingCount('peer.test') === 0);
    const delivered = peer.pdus();
    expect(delivered.length).toBe(queuedPdus);
    expectStones(delivered, '!r:hs1.test', '$e0', '$e119');
    expect(expectStones(delivered, '!other:hs1.test', '$other0', '$other4').map((p) => p['event_id'])).toEqual(['$other0', '$other4']);
    // PDUs keep their enqueue order across rooms.
    const positions = peer.pduIds().map((id) => order.indexOf(id));
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(peer.edus(0, 'm.device_list_update').map((e) => e.content['stream_id'])).toEqual([1, 2, 3]);
    expect(peer.edus(0, 'm.direct_to_device').map((e) => e.content['message_id'])).toEqual(['m0', 'm1']);
    for (const t of peer.transactions) {
      expect((t.body['pdus'] as unknown[]).length).toBeLessThanOrEqual(MAX_PDUS_PER_TRANSACTION);
      expect((t.body['edus'] as unknown[]).length).toBeLessThanOrEqual(MAX_EDUS_PER_TRANSACTION);
      expect(t.body['origin']).toBe('hs1.test');
      expect(typeof t.body['origin_server_ts']).toBe('number');
      expect(t.signatureValid).toBe(true);
    }
    expect(new Set(peer.transactions.map((t) => t.txnId)).size).toBe(peer.transactions.length);
    expect(peer.maxInFlight).toBe(1);
    expect(queue.backoffState('peer.test')).toBeUndefined();
  });

  it('sends every PDU at once while the peer is up, one transaction at a time, batching what piles up', async () => {
    const queue = a.homeserver.services.federation.outboundQueue;
    const before = peer.transactions.length;
    for (let i = 0; i < 30; i++) queue.enqueuePdu(['peer.test'], pdu(`$live${i}`, 200 + i));
    await waitFor('delivery', () => queue.pendingCount('peer.test') === 0);
    expect(peer.pduIds(before)).toEqual(Array.from({ length: 30 }, (_, i) => `$live${i}`));
    expect(peer.transactions.length - before).toBeLessThanOrEqual(2);
    expect(peer.maxInFlight).toBe(1);
  });

  it('collapses a backlog of more than 50 PDUs even while the peer answers', async () => {
    const queue = a.homeserver.services.federation.outboundQueue;
    const before = peer.transactions.length;
    // Queued in one go: the send loop only starts after all 200 are in.
    for (let i = 0; i < 200; i++) queue.enqueuePdu(['peer.test'], pdu(`$burst${i}`, 300 + i));
    expect(queue.catchingUp('peer.test')).toBe(true);
    await waitFor('delivery', () => queue.pendingCount('peer.test') === 0);
    const stones = expectStones(peer.pdus(before), '!r:hs1.test', '$burst0', '$burst199');
    expect(stones.length).toBeLessThan(50);
    expect(queue.catchingUp('peer.test')).toBe(false);
  });

  it('coalesces presence and receipts, drops stale typing, and keeps the newest of each', async () => {
    await peer.stop();
    const queue = a.homeserver.services.federation.outboundQueue;
    const before = peer.transactions.length;
    queue.enqueuePdu(['peer.test'], pdu('$wake', 600));
    await waitFor('a failed attempt', () => (queue.backoffState('peer.test')?.failureCount ?? 0) >= 1);
    for (const state of ['online', 'unavailable', 'offline']) queue.enqueueEdu('peer.test', presence('@u1:hs1.test', state));
    queue.enqueueEdu('peer.test', presence('@u2:hs1.test', 'online'));
    queue.enqueueEdu('peer.test', receipt('@u1:hs1.test', '$x1'));
    queue.enqueueEdu('peer.test', receipt('@u1:hs1.test', '$x2'));
    queue.enqueueEdu('peer.test', receipt('@u1:hs1.test', '$t1', '$thread'));
    queue.enqueueEdu('peer.test', typing('@u1:hs1.test', true));
    a.clock.advance(31_000); // @u1's typing is now stale
    queue.enqueueEdu('peer.test', typing('@u2:hs1.test', true));
    queue.enqueueEdu('peer.test', typing('@u3:hs1.test', true));
    queue.enqueueEdu('peer.test', typing('@u3:hs1.test', false));
    expect(queue.pendingCount('peer.test', 'edu')).toBe(2 + 2 + 3);

    await peer.start();
    await waitFor('the queue to drain', () => queue.pendingCount('peer.test') === 0);
    expect(peer.edus(before, 'm.presence').map((e) => e.content)).toEqual([
      { push: [{ user_id: '@u1:hs1.test', presence: 'offline', last_active_ago: 0 }] },
      { push: [{ user_id: '@u2:hs1.test', presence: 'online', last_active_ago: 0 }] },
    ]);
    expect(peer.edus(before, 'm.receipt').map((e) => e.content)).toEqual([receipt('@u1:hs1.test', '$x2').content, receipt('@u1:hs1.test', '$t1', '$thread').content]);
    expect(peer.edus(before, 'm.typing').map((e) => e.content)).toEqual([typing('@u2:hs1.test', true).content, typing('@u3:hs1.test', false).content]);
    expect(peer.pduIds(before)).toEqual(['$wake']);
  });

  it('drops a transaction the peer rejects as malformed, and carries on', async () => {
    const queue = a.homeserver.services.federation.outboundQueue;
    peer.poison.add('$poison');
    queue.enqueuePdu(['peer.test'], pdu('$poison', 700));
    await waitFor('the poison to be dropped', () => queue.pendingCount('peer.test') === 0);
    queue.enqueuePdu(['peer.test'], pdu('$after', 701));
    await waitFor('delivery', () => queue.pendingCount('peer.test') === 0);
    expect(peer.pduIds()).not.toContain('$poison');
    expect(peer.pduIds().at(-1)).toBe('$after');
  });

  it('caps what a dead destination holds: sheds the oldest droppable items, never essential EDUs', async () => {
    await peer.stop();
    const queue = a.homeserver.services.federation.outboundQueue;
    const before = peer.transactions.length;
    queue.enqueuePdu(['peer.test'], pdu('$capped', 800));
    await waitFor('a failed attempt', () => (queue.backoffState('peer.test')?.failureCount ?? 0) >= 1);
    for (let n = 1; n <= 3; n++) queue.enqueueEdu('peer.test', deviceList(100 + n));
    const users = MAX_QUEUED_PER_DESTINATION + 50;
    for (let i = 0; i < users; i++) {
      queue.enqueueEdu('peer.test', presence(`@p${i}:hs1.test`, 'online'));
      if (i === 10) queue.enqueueEdu('peer.test', toDevice(100));
    }
    expect(queue.pendingCount('peer.test')).toBe(MAX_QUEUED_PER_DESTINATION);

    await peer.start();
    await waitFor('the queue to drain', () => queue.pendingCount('peer.test') === 0, 60_000);
    expect(peer.edus(before, 'm.device_list_update').map((e) => e.content['stream_id'])).toEqual([101, 102, 103]);
    expect(peer.edus(before, 'm.direct_to_device').map((e) => e.content['message_id'])).toEqual(['m100']);
    const presenceUsers = peer.edus(before, 'm.presence').map((e) => String((e.content['push'] as JsonObject[])[0]!['user_id']));
    // 1 PDU + 3 + 1 essential EDUs + the newest presence updates fill the cap; the oldest went.
    expect(presenceUsers.length).toBe(MAX_QUEUED_PER_DESTINATION - 5);
    expect(presenceUsers[0]).toBe(`@p${users - presenceUsers.length}:hs1.test`);
    expect(presenceUsers.at(-1)).toBe(`@p${users - 1}:hs1.test`);
    expect(peer.pduIds(before)).toEqual(['$capped']);
  }, 120_000);

  it('survives a restart: the collapsed queue, coalesced EDUs and backoff carry over', async () => {
    await peer.stop();
    let queue = a.homeserver.services.federation.outboundQueue;
    for (let i = 0; i < 10; i++) queue.enqueuePdu(['peer.test'], pdu(`$r${i}`, 900 + i, '!restart:hs1.test'));
    await waitFor('a failed attempt', () => (queue.backoffState('peer.test')?.failureCount ?? 0) >= 1);
    queue.enqueueEdu('peer.test', presence('@u1:hs1.test', 'online'));
    queue.enqueueEdu('peer.test', presence('@u1:hs1.test', 'unavailable'));
    queue.enqueueEdu('peer.test', typing('@u1:hs1.test', true));
    const typedAt = a.clock.now();
    queue.enqueueEdu('peer.test', deviceList(200));
    const failures = queue.backoffState('peer.test')!.failureCount;
    await a.stop();

    a = await startFederatingServer({ name: 'hs1.test', host: '127.0.0.1', port: portA, ca, dataDir: a.dataDir, overrides: { 'peer.test': `127.0.0.2:${peerPort}` } });
    queue = a.homeserver.services.federation.outboundQueue;
    // Ten PDUs within one stride: the oldest and the newest are left.
    expect(queue.pendingCount('peer.test', 'pdu')).toBe(2);
    expect(queue.pendingCount('peer.test', 'edu')).toBe(3);
    expect(queue.backoffState('peer.test')?.failureCount ?? 0).toBeGreaterThanOrEqual(failures);
    // The typing notification was queued before the restart; by now it is stale. (An earlier
    // test moved the old server's clock ahead: the new one must pass that point too.)
    a.clock.advance(Math.max(0, typedAt - a.clock.now()) + 31_000);
    const before = peer.transactions.length;
    await peer.start();
    await waitFor('delivery after the restart', () => queue.pendingCount('peer.test') === 0);
    expect(peer.pduIds(before)).toEqual(['$r0', '$r9']);
    expect(peer.edus(before).map((e) => e.edu_type)).toEqual(['m.presence', 'm.device_list_update']);
    expect(peer.edus(before, 'm.presence')[0]!.content).toEqual(presence('@u1:hs1.test', 'unavailable').content);
  });
});

describe('retry delays', () => {
  const policy = { minIntervalMs: 1000, multiplier: 2, maxIntervalMs: 10_000 };
  it('grow exponentially from the minimum up to the cap', () => {
    const mid = (): number => 0.5; // no jitter
    expect([1, 2, 3, 4, 5, 50, 5000].map((n) => retryDelayMs(policy, n, mid))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });
  it('are jittered by ±20% but never exceed the cap', () => {
    expect(retryDelayMs(policy, 1, () => 0)).toBe(800);
    expect(retryDelayMs(policy, 1, () => 0.999999)).toBe(1200);
    expect(retryDelayMs(policy, 10, () => 0.999999)).toBe(10_000);
  });
});

describe('stepping stones', () => {
  const rows = (depths: (number | null)[]): { id: number; depth: number | null }[] => depths.map((depth, id) => ({ id, depth }));
  it('keep the oldest, the newest, and one stone per stride between', () => {
    expect(redundantStones(rows([1, 2, 3]))).toEqual([1]);
    const depths = Array.from({ length: 25 }, (_, i) => i + 1);
    const dropped = new Set(redundantStones(rows(depths)));
    expect(depths.filter((_, id) => !dropped.has(id))).toEqual([1, 11, 21, 25]);
  });
  it('keep a PDU the stride cannot bridge, and PDUs of unknown depth', () => {
    // Depths jump (other servers' events in between): each stone is the last one within reach.
    expect(redundantStones(rows([1, 5, 9, 14, 30, 31]))).toEqual([1]);
    expect(redundantStones(rows([1, null, 3, 4]))).toEqual([]);
  });
});
