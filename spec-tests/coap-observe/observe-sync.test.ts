// RFC 7641 Observe on /sync (/7) against the real homeserver, with a raw-socket observer that
// sees every datagram: registration, one notification per new message in order and exactly once,
// coalescing, Block2 for large notifications, Observe values, Max-Age, heartbeats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Opt } from '../../src/transport/coap/options.js';
import type { Session } from '../support/client.js';
import { bodyOf, messageBodies, Observer, type RegisterSpec } from './support/observer.js';
import { CALM_TIMING, startObserveServer, type ObserveServer } from './support/observe-server.js';

let server: ObserveServer;
let alice: Session;
let bob: Session;
let roomId: string;

beforeAll(async () => {
  server = await startObserveServer();
  alice = await server.register('alice');
  bob = await server.register('bob');
  roomId = await server.createRoom(bob, [alice]);
});

afterAll(async () => {
  await server.stop();
});

async function withObserver<T>(run: (observer: Observer) => Promise<T>): Promise<T> {
  const observer = await Observer.open(server.coapPort);
  try {
    return await run(observer);
  } finally {
    observer.close();
  }
}

/** Registers and returns the initial response's body. */
async function register(observer: Observer, spec: RegisterSpec): Promise<{ next_batch: string }> {
  const initial = await observer.register(spec);
  expect(initial.message.type).toBe('ACK');
  expect(initial.message.code).toBe('2.05');
  expect(initial.observe).toBeTypeOf('number');
  return bodyOf(initial.message.payload);
}

async function currentToken(): Promise<string> {
  const res = await server.http.get('/_matrix/client/v3/sync', { token: alice.accessToken, query: { timeout: '0' } });
  return res.body.next_batch as string;
}

describe('Observe on /sync', () => {
  it('registers with /7 and pushes each new message as one Confirmable notification, in order, exactly once', async () => {
    await withObserver(async (observer) => {
      const token = Buffer.from('a1', 'hex');
      const spec = { token, accessToken: alice.accessToken, query: [`since=${await currentToken()}`] };
      const before = server.observers();
      const initial = await observer.register(spec);
      expect(initial.message.code).toBe('2.05');
      expect(initial.message.type).toBe('ACK'); // answered at once: timeout 0 for the registration
      expect(initial.maxAge).toBeGreaterThan(60);
      expect(messageBodies(bodyOf(initial.message.payload))).toEqual([]);
      expect(server.observers()).toBe(before + 1);

      const observeValues = [initial.observe!];
      let last = bodyOf(initial.message.payload).next_batch as string;
      for (const text of ['first', 'second', 'third']) {
        const sentAt = Date.now();
        await server.send(bob, roomId, text);
        const n = await observer.notification(token);
        expect(Date.now() - sentAt).toBeLessThan(1_500);
        expect(n.message.code).toBe('2.05');
        expect(n.observe).toBeTypeOf('number');
        expect(n.maxAge).toBe(initial.maxAge);
        expect(n.block2).toBeUndefined(); // the lean filter keeps one message in one datagram
        const body = bodyOf(n.message.payload);
        expect(messageBodies(body)).toEqual([text]);
        expect(body.next_batch).not.toBe(last);
        last = body.next_batch;
        observeValues.push(n.observe!);
      }
      for (let i = 1; i < observeValues.length; i++) expect(observeValues[i]).toBeGreaterThan(observeValues[i - 1]!);
      // Nothing else: no further notification; three notifications in all (a retransmission would reuse its message ID).
      const rest = await observer.drain(300);
      expect(rest.filter((r) => r.message.type === 'CON' && r.transmission === 1)).toEqual([]);
      expect(new Set(observer.log.filter((r) => r.message.type === 'CON').map((r) => r.message.messageId)).size).toBe(3);
      await observer.deregister(spec);
    });
  });

  it('coalesces a burst into the next notification: every message once, in order', async () => {
    await withObserver(async (observer) => {
      const token = Buffer.from('b2', 'hex');
      // A timeline limit the burst fits in (the lean filter keeps 2).
      const filter = JSON.stringify({ room: { timeline: { limit: 20, types: ['m.room.message'] }, state: { types: [] }, ephemeral: { not_types: ['*'] } }, presence: { not_types: ['*'] }, event_fields: ['type', 'content'] });
      const spec = { token, accessToken: alice.accessToken, query: [`since=${await currentToken()}`, `filter=${filter}`] };
      await register(observer, spec);
      // The client is slow to ACK: changes that arrive while one notification is out wait for the next.
      observer.ackPolicy = () => 'silent';
      const texts = Array.from({ length: 6 }, (_, i) => `burst ${i}`);
      await server.send(bob, roomId, texts[0]!);
      const first = await observer.notification(token);
      for (const text of texts.slice(1)) await server.send(bob, roomId, text);
      // Only now does the client acknowledge the first (the server was retransmitting it meanwhile).
      observer.ackPolicy = () => 'ack';
      observer.sendEmpty('ACK', first.message.messageId);
      const got = messageBodies(bodyOf(first.message.payload));
      const notifications = [first];
      while (got.length < texts.length) {
        const n = await observer.notification(token);
        notifications.push(n);
        got.push(...messageBodies(bodyOf(n.message.payload)));
      }
      expect(got).toEqual(texts);
      expect(notifications.length).toBeLessThan(texts.length);
      expect((await observer.drain(300)).filter((r) => r.message.type === 'CON' && !r.message.token.equals(token))).toEqual([]);
      await observer.deregister(spec);
    });
  });

  it('sends a large notification block-wise: block 0 with ETag and Size2, the rest by GET + Block2 from the same body', async () => {
    await withObserver(async (observer) => {
      const token = Buffer.from('c3', 'hex');
      const spec = { token, accessToken: alice.accessToken, query: [`since=${await currentToken()}`] };
      await register(observer, spec);
      const big = 'x'.repeat(3_000);
      await server.send(bob, roomId, big);
      const n = await observer.notification(token);
      expect(n.datagram.length).toBeLessThanOrEqual(1152);
      expect(n.block2).toMatchObject({ num: 0, more: true });
      expect(n.etag).toBeDefined();
      expect(n.size2).toBeGreaterThan(3_000);
      expect(n.observe).toBeTypeOf('number');
      const whole = await observer.fetchRest(n, spec);
      expect(whole.length).toBe(n.size2);
      expect(messageBodies(bodyOf(whole))).toEqual([big]);
      // Delivered (ACKed and fetched to the last block): the next notification starts after it.
      await server.send(bob, roomId, 'small again');
      const next = await observer.notification(token);
      expect(next.block2).toBeUndefined();
      expect(messageBodies(bodyOf(next.message.payload))).toEqual(['small again']);
      expect(next.observe).toBeGreaterThan(n.observe!);
      await observer.deregister(spec);
    });
  });

  it('a block-wise notification whose blocks are never fetched is recomputed from the older token', async () => {
    const local = await startObserveServer({ timing: CALM_TIMING, observe: { blockFetchTimeoutMs: 400 } });
    try {
      const a = await local.register('alice');
      const b = await local.register('bob');
      const room = await local.createRoom(b, [a]);
      const observer = await Observer.open(local.coapPort);
      try {
        const token = Buffer.from('c4', 'hex');
        const since = (await local.http.get('/_matrix/client/v3/sync', { token: a.accessToken, query: { timeout: '0' } })).body.next_batch as string;
        const spec = { token, accessToken: a.accessToken, query: [`since=${since}`] };
        await observer.register(spec);
        const big = 'y'.repeat(2_000);
        await local.send(b, room, big);
        const first = await observer.notification(token);
        expect(first.block2?.more).toBe(true);
        // The client ACKs block 0 but never fetches the rest; the server sends it again, from the same token.
        const again = await observer.notification(token, 3_000);
        expect(again.block2?.more).toBe(true);
        expect(again.message.messageId).not.toBe(first.message.messageId);
        expect(again.observe).toBeGreaterThan(first.observe!);
        const whole = await observer.fetchRest(again, spec);
        expect(messageBodies(bodyOf(whole))).toEqual([big]);
      } finally {
        observer.close();
      }
    } finally {
      await local.stop();
    }
  });

  it('GET with Observe: 1 deregisters; a new registration with the same token replaces the old one', async () => {
    await withObserver(async (observer) => {
      const token = Buffer.from('d4', 'hex');
      const spec = { token, accessToken: alice.accessToken, query: [`since=${await currentToken()}`] };
      const before = server.observers();
      await register(observer, spec);
      await register(observer, spec); // same endpoint + token: replaced, not added
      expect(server.observers()).toBe(before + 1);
      await register(observer, { ...spec, token: Buffer.from('d5', 'hex') });
      expect(server.observers()).toBe(before + 2);

      const reply = await observer.deregister(spec);
      expect(reply.message.code).toBe('2.05');
      expect(reply.observe).toBeUndefined(); // a plain answer
      expect(server.observers()).toBe(before + 1);
      await server.send(bob, roomId, 'only d5 hears this');
      const n = await observer.notification(Buffer.from('d5', 'hex'));
      expect(messageBodies(bodyOf(n.message.payload))).toEqual(['only d5 hears this']);
      expect((await observer.drain(300)).filter((r) => r.message.token.equals(token))).toEqual([]);
      await observer.deregister({ ...spec, token: Buffer.from('d5', 'hex') });
      expect(server.observers()).toBe(before);
    });
  });

  it('bounds registrations per endpoint: over the bound, GET + Observe is answered without Observe', async () => {
    await withObserver(async (observer) => {
      const since = await currentToken();
      const specs = [1, 2, 3, 4, 5].map((i) => ({ token: Buffer.of(0xe0 + i), accessToken: alice.accessToken, query: [`since=${since}`] }));
      for (const spec of specs.slice(0, 4)) expect((await observer.register(spec)).observe).toBeTypeOf('number');
      const refused = await observer.register(specs[4]!);
      expect(refused.message.code).toBe('2.05');
      expect(refused.observe).toBeUndefined();
      for (const spec of specs.slice(0, 4)) await observer.deregister(spec);
    });
  });

  it('an error answer registers nothing: a wrong token gets 4.01 without Observe', async () => {
    await withObserver(async (observer) => {
      const before = server.observers();
      const reply = await observer.register({ token: Buffer.of(0xf1), accessToken: 'not-a-token' });
      expect(reply.message.code).toBe('4.01');
      expect(reply.observe).toBeUndefined();
      expect(server.observers()).toBe(before);
    });
  });

  it('under the lean filter a notification with one new m.room.message fits one datagram (integer keys)', async () => {
    await withObserver(async (observer) => {
      const token = Buffer.of(0x42);
      const spec = { token, accessToken: alice.accessToken, query: [`since=${await currentToken()}`], extraOptions: [{ number: Opt.CborKeyVersion, value: Buffer.of(1) }] };
      await register(observer, spec);
      // The first message of a sender also carries its (lazy-loaded) member event; later ones do not.
      const sizes: number[] = [];
      for (const reading of ['21.5 °C', '21.6 °C']) {
        await server.send(bob, roomId, reading);
        const n = await observer.notification(token);
        expect(n.block2).toBeUndefined();
        expect(n.datagram.length).toBeLessThanOrEqual(1152);
        expect(messageBodies(bodyOf(n.message.payload))).toEqual([reading]);
        sizes.push(n.datagram.length);
      }
      expect(sizes[1]).toBeLessThan(sizes[0]!);
      expect(sizes[1]).toBeLessThan(300);
      await observer.deregister(spec);
    });
  });
});
