// When an Observe registration ends and how nothing is lost on the way: RST, notifications that
// are never acknowledged (retransmitted, recomputed from the older token, then dropped), lost
// ACKs, logout and device deletion (final 4.01), heartbeats with Max-Age, Observe value wrap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, type Session } from '../support/client.js';
import { bodyOf, messageBodies, Observer } from './support/observer.js';
import { FAST_TIMING, startObserveServer, type ObserveServer } from './support/observe-server.js';

let server: ObserveServer;
let bob: Session;

beforeAll(async () => {
  server = await startObserveServer({ timing: FAST_TIMING });
  bob = await server.register('bob');
});

afterAll(async () => {
  await server.stop();
});

/** A fresh observing user in a room with bob, and a registration from `since` = now. */
async function setUp(name: string, token: Buffer, target: ObserveServer = server, sender: Session = bob) {
  const me = await target.register(name);
  const roomId = await target.createRoom(sender, [me]);
  const since = (await target.http.get(`${CS}/sync`, { token: me.accessToken, query: { timeout: '0' } })).body.next_batch as string;
  const observer = await Observer.open(target.coapPort);
  const spec = { token, accessToken: me.accessToken, query: [`since=${since}`] };
  const initial = await observer.register(spec);
  expect(initial.observe).toBeTypeOf('number');
  return { me, roomId, observer, spec, initial };
}

const FILTER_20 = JSON.stringify({ room: { timeline: { limit: 20, types: ['m.room.message'] }, state: { types: [] } }, presence: { not_types: ['*'] }, event_fields: ['type', 'content'] });

describe('Observe registrations end cleanly', () => {
  it('RST to a notification deregisters: no more notifications', async () => {
    const token = Buffer.of(0x01);
    const { roomId, observer } = await setUp('rst', token);
    try {
      const before = server.observers();
      observer.ackPolicy = () => 'rst';
      await server.send(bob, roomId, 'rejected');
      const n = await observer.notification(token);
      expect(messageBodies(bodyOf(n.message.payload))).toEqual(['rejected']);
      await waitFor(() => server.observers() === before - 1);
      await server.send(bob, roomId, 'nobody listens');
      // Neither a new notification nor a retransmission of the rejected one (it would come within 60 + 120 ms).
      expect(await observer.drain(400)).toEqual([]);
    } finally {
      observer.close();
    }
  });

  it('a notification never ACKed is retransmitted MAX_RETRANSMIT times, recomputed once, then the registration is dropped', async () => {
    const token = Buffer.of(0x02);
    const { roomId, observer } = await setUp('silent', token);
    try {
      const before = server.observers();
      observer.ackPolicy = () => 'silent';
      await server.send(bob, roomId, 'unheard');
      // maxMissed = 2 (default): two notifications, each sent 1 + MAX_RETRANSMIT times, then nothing.
      await waitFor(() => server.observers() === before - 1, 8_000);
      const cons = observer.log.filter((r) => r.message.type === 'CON' && r.message.token.equals(token));
      const ids = [...new Set(cons.map((r) => r.message.messageId))];
      expect(ids).toHaveLength(2);
      for (const id of ids) expect(observer.transmissions.get(id)).toBe(1 + FAST_TIMING.maxRetransmit);
      // Each retransmission is the same datagram; the second notification is a new one (new ID, higher Observe), same content.
      const [first, second] = ids.map((id) => cons.filter((r) => r.message.messageId === id));
      for (const group of [first!, second!]) for (const r of group) expect(r.datagram.equals(group[0]!.datagram)).toBe(true);
      expect(second![0]!.observe).toBeGreaterThan(first![0]!.observe!);
      expect(messageBodies(bodyOf(second![0]!.message.payload))).toEqual(['unheard']);
      await server.send(bob, roomId, 'after the drop');
      expect(await observer.drain(400)).toEqual([]);
    } finally {
      observer.close();
    }
  });

  it('a lost notification (its ACKs dropped) is recomputed from the last acknowledged token: no message lost', async () => {
    const token = Buffer.of(0x03);
    const me = await server.register('lossy');
    const roomId = await server.createRoom(bob, [me]);
    const since = (await server.http.get(`${CS}/sync`, { token: me.accessToken, query: { timeout: '0' } })).body.next_batch as string;
    const observer = await Observer.open(server.coapPort);
    try {
      const spec = { token, accessToken: me.accessToken, query: [`since=${since}`, `filter=${FILTER_20}`] };
      await observer.register(spec);
      await server.send(bob, roomId, 'one');
      // Every ACK for the first notification is lost on the way back.
      let lostId: number | undefined;
      observer.ackPolicy = (n) => {
        lostId ??= n.message.messageId;
        return n.message.messageId === lostId ? 'silent' : 'ack';
      };
      const lost = await observer.notification(token);
      expect(messageBodies(bodyOf(lost.message.payload))).toEqual(['one']);
      await server.send(bob, roomId, 'two'); // arrives while 'one' is still unacknowledged
      const recomputed = await observer.notification(token, 5_000);
      expect(recomputed.message.messageId).not.toBe(lost.message.messageId);
      expect(messageBodies(bodyOf(recomputed.message.payload))).toEqual(['one', 'two']);
      // That one was ACKed: the next starts after it.
      await server.send(bob, roomId, 'three');
      const next = await observer.notification(token);
      expect(messageBodies(bodyOf(next.message.payload))).toEqual(['three']);
      await observer.deregister(spec);
    } finally {
      observer.close();
    }
  });

  it('a random half of the ACKs lost: every message arrives, in order', async () => {
    const token = Buffer.of(0x04);
    const me = await server.register('flaky');
    const roomId = await server.createRoom(bob, [me]);
    const since = (await server.http.get(`${CS}/sync`, { token: me.accessToken, query: { timeout: '0' } })).body.next_batch as string;
    const observer = await Observer.open(server.coapPort);
    try {
      const spec = { token, accessToken: me.accessToken, query: [`since=${since}`, `filter=${FILTER_20}`] };
      await observer.register(spec);
      let seed = 7;
      const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      observer.ackPolicy = () => (random() < 0.5 ? 'silent' : 'ack');
      const texts = Array.from({ length: 8 }, (_, i) => `m${i}`);
      for (const text of texts) {
        await server.send(bob, roomId, text);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      // Read every distinct notification; a recomputed one repeats what was not acknowledged, so
      // the client applies them in Observe order and keeps what it has not seen (at-least-once).
      const seen: string[] = [];
      const deadline = Date.now() + 8_000;
      while (seen.length < texts.length && Date.now() < deadline) {
        const n = await observer.notification(token, 8_000);
        for (const text of messageBodies(bodyOf(n.message.payload))) if (!seen.includes(text)) seen.push(text);
      }
      expect(seen).toEqual(texts);
      observer.ackPolicy = () => 'ack';
      await observer.deregister(spec);
    } finally {
      observer.close();
    }
  });

  it('logout drops the registration with a final 4.01 notification (no Observe option)', async () => {
    const token = Buffer.of(0x05);
    const { me, roomId, observer } = await setUp('leaver', token);
    try {
      const before = server.observers();
      await server.send(bob, roomId, 'before logout');
      expect(messageBodies(bodyOf((await observer.notification(token)).message.payload))).toEqual(['before logout']);
      const startedAt = Date.now();
      expect((await server.http.post(`${CS}/logout`, {}, { token: me.accessToken })).status).toBe(200);
      const last = await observer.notification(token);
      expect(Date.now() - startedAt).toBeLessThan(1_000); // woken by the device deletion, not a timeout
      expect(last.message.type).toBe('CON');
      expect(last.message.code).toBe('4.01');
      expect(last.observe).toBeUndefined();
      expect(bodyOf(last.message.payload)).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN' });
      await waitFor(() => server.observers() === before - 1);
      await server.send(bob, roomId, 'after logout');
      expect((await observer.drain(300)).filter((r) => r.message.type === 'CON')).toEqual([]);
    } finally {
      observer.close();
    }
  });

  it('deleting the device from another session ends its registration the same way', async () => {
    const token = Buffer.of(0x06);
    const { me, observer } = await setUp('deleted', token);
    try {
      // A second session of the same user deletes the observing device (UIA with the password).
      const login = await server.http.post(`${CS}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'deleted' }, password: 'pw-deleted-1' });
      const other = login.body.access_token as string;
      const path = `${CS}/devices/${encodeURIComponent(me.deviceId)}`;
      const first = await server.http.delete(path, {}, { token: other });
      expect(first.status).toBe(401);
      const done = await server.http.delete(path, { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'deleted' }, password: 'pw-deleted-1', session: first.body.session } }, { token: other });
      expect(done.status).toBe(200);
      // The second login is news to the observing device (its own user's device list changed),
      // so 2.05 notifications may come first; the registration still ends with 4.01.
      let last = await observer.notification(token);
      for (let i = 0; i < 5 && last.message.code === '2.05'; i++) last = await observer.notification(token);
      expect(last.message.code).toBe('4.01');
      expect(last.observe).toBeUndefined();
    } finally {
      observer.close();
    }
  });
});

describe('heartbeats, Max-Age and Observe values', () => {
  it('sends an empty Confirmable notification when nothing happened for the heartbeat; Max-Age covers it', async () => {
    const local = await startObserveServer({ timing: FAST_TIMING, observe: { heartbeatMs: 700 } });
    try {
      const b = await local.register('bob');
      const token = Buffer.of(0x07);
      const { observer, initial } = await setUp('idle', token, local, b);
      try {
        expect(initial.maxAge).toBeGreaterThanOrEqual(1);
        const startedAt = Date.now();
        const beat = await observer.notification(token, 3_000);
        expect(Date.now() - startedAt).toBeGreaterThanOrEqual(500);
        expect(beat.message.code).toBe('2.05');
        expect(beat.observe).toBeGreaterThan(initial.observe!);
        expect(messageBodies(bodyOf(beat.message.payload))).toEqual([]);
        expect(beat.maxAge).toBe(initial.maxAge);
        // Max-Age ≥ heartbeat + the time a CON may take: the client hears from us before it expires.
        expect(beat.maxAge! * 1000).toBeGreaterThanOrEqual(700);
      } finally {
        observer.close();
      }
    } finally {
      await local.stop();
    }
  });

  it('Observe values wrap at 2^24 and still count as newer (RFC 7641 §4.4)', async () => {
    const local = await startObserveServer({ timing: FAST_TIMING, observe: { firstObserveValue: 0xff_fffe } });
    try {
      const b = await local.register('bob');
      const token = Buffer.of(0x08);
      const { observer, roomId, initial } = await setUp('wrap', token, local, b);
      try {
        const values = [initial.observe!];
        for (const text of ['w1', 'w2', 'w3']) {
          await local.send(b, roomId, text);
          const n = await observer.notification(token);
          expect(messageBodies(bodyOf(n.message.payload))).toEqual([text]);
          values.push(n.observe!);
        }
        expect(values).toEqual([0xff_ffff, 0, 1, 2]);
        // The client's rule: V2 is newer than V1 if (V2 - V1) mod 2^24 is in (0, 2^23).
        for (let i = 1; i < values.length; i++) {
          const d = (values[i]! - values[i - 1]! + 0x100_0000) % 0x100_0000;
          expect(d > 0 && d < 0x80_0000).toBe(true);
        }
      } finally {
        observer.close();
      }
    } finally {
      await local.stop();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
