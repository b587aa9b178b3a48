// The outbound transaction queue against a peer over TLS that is down, comes back, rejects a
// transaction, and a sender that restarts: ordering, transaction limits, one transaction in
// flight, exponential backoff, X-Matrix signatures on every transaction, persistence.
import { rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { verifyJsonSignature } from '../../src/core/signing.js';
import { parseXMatrixHeader, xMatrixSignable } from '../../src/core/x-matrix.js';
import { retryDelayMs } from '../../src/services/federation/backoff.js';
import { MAX_EDUS_PER_TRANSACTION, MAX_PDUS_PER_TRANSACTION } from '../../src/services/federation/outbound-queue.js';
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

  pduIds(): string[] {
    return this.transactions.flatMap((t) => (t.body['pdus'] as JsonObject[]).map((p) => String(p['event_id'])));
  }
  eduIds(): string[] {
    return this.transactions.flatMap((t) => (t.body['edus'] as JsonObject[]).map((e) => String((e['content'] as JsonObject)['n'])));
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pdu = (id: string): JsonObject => ({ event_id: id, type: 'm.room.message', room_id: '!r:hs1.test', sender: '@a:hs1.test', content: { body: id } });
const edu = (n: number): { edu_type: string; content: JsonObject } => ({ edu_type: 'm.typing', content: { n: `edu${n}`, typing: true } });

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
  it('backs off while the peer is down, then delivers everything in order once it is back', async () => {
    const queue = a.homeserver.services.federation.outboundQueue;
    for (let i = 0; i < 120; i++) {
      // Our own server is in the room too; it is never sent to.
      queue.enqueuePdu(['peer.test', 'hs1.test'], pdu(`$e${i}`));
      if (i % 20 === 0) queue.enqueueEdu('peer.test', edu(i));
    }
    expect(queue.pendingCount('peer.test')).toBe(126);
    expect(queue.pendingCount('hs1.test')).toBe(0);

    await waitFor('three failed attempts', () => (queue.backoffState('peer.test')?.failureCount ?? 0) >= 3);
    const backoff = queue.backoffState('peer.test')!;
    expect(backoff.retryAtTs).toBeGreaterThan(a.clock.now() - 1000);
    expect(queue.pendingCount('peer.test')).toBe(126);

    await peer.start();
    await waitFor('the queue to drain', () => queue.pendingCount('peer.test') === 0);
    expect(peer.pduIds()).toEqual(Array.from({ length: 120 }, (_, i) => `$e${i}`));
    expect(peer.eduIds()).toEqual([0, 20, 40, 60, 80, 100].map((i) => `edu${i}`));
    for (const t of peer.transactions) {
      expect((t.body['pdus'] as unknown[]).length).toBeLessThanOrEqual(MAX_PDUS_PER_TRANSACTION);
      expect((t.body['edus'] as unknown[]).length).toBeLessThanOrEqual(MAX_EDUS_PER_TRANSACTION);
      expect(t.body['origin']).toBe('hs1.test');
      expect(typeof t.body['origin_server_ts']).toBe('number');
      expect(t.signatureValid).toBe(true);
    }
    expect((peer.transactions[0]!.body['pdus'] as unknown[]).length).toBe(MAX_PDUS_PER_TRANSACTION);
    expect(peer.transactions.length).toBe(3);
    expect(new Set(peer.transactions.map((t) => t.txnId)).size).toBe(peer.transactions.length);
    expect(peer.maxInFlight).toBe(1);
    expect(queue.backoffState('peer.test')).toBeUndefined();
  });

  it('sends at once while the peer is up, one transaction at a time, batching what piles up', async () => {
    const queue = a.homeserver.services.federation.outboundQueue;
    const before = peer.transactions.length;
    for (let i = 0; i < 30; i++) queue.enqueuePdu(['peer.test'], pdu(`$live${i}`));
    await waitFor('delivery', () => queue.pendingCount('peer.test') === 0);
    expect(peer.pduIds().slice(-30)).toEqual(Array.from({ length: 30 }, (_, i) => `$live${i}`));
    expect(peer.transactions.length - before).toBeLessThanOrEqual(2);
    expect(peer.maxInFlight).toBe(1);
  });

  it('drops a transaction the peer rejects as malformed, and carries on', async () => {
    const queue = a.homeserver.services.federation.outboundQueue;
    peer.poison.add('$poison');
    queue.enqueuePdu(['peer.test'], pdu('$poison'));
    await waitFor('the poison to be dropped', () => queue.pendingCount('peer.test') === 0);
    queue.enqueuePdu(['peer.test'], pdu('$after'));
    await waitFor('delivery', () => queue.pendingCount('peer.test') === 0);
    expect(peer.pduIds()).not.toContain('$poison');
    expect(peer.pduIds().at(-1)).toBe('$after');
  });

  it('survives a restart: what was queued while the peer was down is delivered by the next run', async () => {
    await peer.stop();
    let queue = a.homeserver.services.federation.outboundQueue;
    for (let i = 0; i < 10; i++) queue.enqueuePdu(['peer.test'], pdu(`$r${i}`));
    await waitFor('a failed attempt', () => (queue.backoffState('peer.test')?.failureCount ?? 0) >= 1);
    const failures = queue.backoffState('peer.test')!.failureCount;
    await a.stop();

    a = await startFederatingServer({ name: 'hs1.test', host: '127.0.0.1', port: portA, ca, dataDir: a.dataDir, overrides: { 'peer.test': `127.0.0.2:${peerPort}` } });
    queue = a.homeserver.services.federation.outboundQueue;
    expect(queue.pendingCount('peer.test')).toBe(10);
    // The backoff survived the restart too.
    expect(queue.backoffState('peer.test')?.failureCount ?? 0).toBeGreaterThanOrEqual(failures);
    const before = peer.pduIds().length;
    await peer.start();
    await waitFor('delivery after the restart', () => queue.pendingCount('peer.test') === 0);
    expect(peer.pduIds().slice(before)).toEqual(Array.from({ length: 10 }, (_, i) => `$r${i}`));
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
