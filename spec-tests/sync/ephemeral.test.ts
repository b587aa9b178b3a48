// Typing notifications, read receipts (public, private, threaded), read markers, and how /sync
// carries them in each joined room's `ephemeral` and `account_data`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, registerUser, type Session } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createRoom, join, roomPath, send, sleep, sync } from './helpers.js';

let server: TestServer;
let alice: Session;
let bob: Session;
let eve: Session;
let roomId: string;
beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server.client, 'alice', 'pw');
  bob = await registerUser(server.client, 'bob', 'pw');
  eve = await registerUser(server.client, 'eve', 'pw');
  roomId = await createRoom(server.client, alice, { preset: 'public_chat' });
  await join(server.client, bob, roomId);
});
afterAll(() => server.stop());

interface Ephemeral {
  type: string;
  content: Record<string, unknown>;
}
function ephemeralOf(body: { rooms?: { join?: Record<string, { ephemeral?: { events: Ephemeral[] } }> } }, type: string): Ephemeral | undefined {
  return body.rooms?.join?.[roomId]?.ephemeral?.events.find((e) => e.type === type);
}
const typingPath = (s: Session) => roomPath(roomId, `/typing/${encodeURIComponent(s.userId)}`);
const receipt = (type: string, eventId: string) => roomPath(roomId, `/receipt/${type}/${encodeURIComponent(eventId)}`);

describe('typing', () => {
  it('shows who types, then that they stopped', async () => {
    const since = (await sync(server.client, bob)).body.next_batch;
    expect((await server.client.put(typingPath(alice), { typing: true, timeout: 30_000 }, { token: alice.accessToken })).status).toBe(200);
    const typing = await sync(server.client, bob, { since });
    expect(ephemeralOf(typing.body, 'm.typing')?.content).toEqual({ user_ids: [alice.userId] });
    // A full (initial) sync shows current typers too.
    expect(ephemeralOf((await sync(server.client, bob)).body, 'm.typing')?.content).toEqual({ user_ids: [alice.userId] });

    await server.client.put(typingPath(alice), { typing: false }, { token: alice.accessToken });
    const stopped = await sync(server.client, bob, { since: typing.body.next_batch });
    expect(ephemeralOf(stopped.body, 'm.typing')?.content).toEqual({ user_ids: [] });
    const quiet = await sync(server.client, bob, { since: stopped.body.next_batch });
    expect(ephemeralOf(quiet.body, 'm.typing')).toBeUndefined();
  });

  it('expires after the timeout and wakes long-polls both times', async () => {
    const since = (await sync(server.client, bob)).body.next_batch;
    const poll = sync(server.client, bob, { since, timeout: 10_000 });
    await sleep(50);
    await server.client.put(typingPath(alice), { typing: true, timeout: 300 }, { token: alice.accessToken });
    const started = await poll;
    expect(ephemeralOf(started.body, 'm.typing')?.content).toEqual({ user_ids: [alice.userId] });
    const t0 = Date.now();
    const expired = await sync(server.client, bob, { since: started.body.next_batch, timeout: 10_000 });
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(ephemeralOf(expired.body, 'm.typing')?.content).toEqual({ user_ids: [] });
  });

  it('refuses typing for others or in rooms one is not in', async () => {
    const forOther = await server.client.put(typingPath(bob), { typing: true }, { token: alice.accessToken });
    expect(forOther.status).toBe(403);
    const notMember = await server.client.put(typingPath(eve), { typing: true }, { token: eve.accessToken });
    expect(notMember.status).toBe(403);
    expect(notMember.body.errcode).toBe('M_FORBIDDEN');
    const missing = await server.client.put(typingPath(alice), { timeout: 5 }, { token: alice.accessToken });
    expect(missing.status).toBe(400);
  });
});

describe('receipts', () => {
  it('m.read reaches the other members; m.read.private only its owner', async () => {
    const eventId = await send(server.client, alice, roomId, 'read me');
    const aliceSince = (await sync(server.client, alice)).body.next_batch;
    const bobSince = (await sync(server.client, bob)).body.next_batch;
    expect((await server.client.post(receipt('m.read', eventId), {}, { token: bob.accessToken })).status).toBe(200);
    const seen = await sync(server.client, alice, { since: aliceSince });
    const content = ephemeralOf(seen.body, 'm.receipt')?.content as Record<string, Record<string, Record<string, { ts: number }>>>;
    expect(typeof content[eventId]!['m.read']![bob.userId]!.ts).toBe('number');

    const second = await send(server.client, alice, roomId, 'private read');
    const before = (await sync(server.client, alice)).body.next_batch;
    await server.client.post(receipt('m.read.private', second), {}, { token: bob.accessToken });
    expect(ephemeralOf((await sync(server.client, alice, { since: before })).body, 'm.receipt')).toBeUndefined();
    const own = await sync(server.client, bob, { since: bobSince });
    const ownContent = ephemeralOf(own.body, 'm.receipt')?.content as Record<string, Record<string, unknown>>;
    expect(ownContent[second]!['m.read.private']).toBeDefined();
  });

  it('keeps threaded receipts apart and never moves a receipt backwards', async () => {
    const root = await send(server.client, alice, roomId, 'thread root');
    const later = await send(server.client, alice, roomId, 'later');
    const since = (await sync(server.client, alice)).body.next_batch;
    await server.client.post(receipt('m.read', later), {}, { token: bob.accessToken });
    await server.client.post(receipt('m.read', root), { thread_id: root }, { token: bob.accessToken });
    const res = await sync(server.client, alice, { since });
    const content = ephemeralOf(res.body, 'm.receipt')?.content as Record<string, Record<string, Record<string, { thread_id?: string }>>>;
    expect(content[later]!['m.read']![bob.userId]!.thread_id).toBeUndefined();
    expect(content[root]!['m.read']![bob.userId]!.thread_id).toBe(root);

    // An unthreaded receipt for an older event is ignored.
    const next = res.body.next_batch;
    await server.client.post(receipt('m.read', root), {}, { token: bob.accessToken });
    expect(ephemeralOf((await sync(server.client, alice, { since: next })).body, 'm.receipt')).toBeUndefined();
  });

  it('validates receipt type, thread_id, membership and the event', async () => {
    const eventId = await send(server.client, alice, roomId, 'x');
    const auth = { token: bob.accessToken };
    expect((await server.client.post(receipt('m.unknown', eventId), {}, auth)).status).toBe(400);
    const emptyThread = await server.client.post(receipt('m.read', eventId), { thread_id: '' }, auth);
    expect(emptyThread.status).toBe(400);
    expect(emptyThread.body.errcode).toBe('M_INVALID_PARAM');
    expect((await server.client.post(receipt('m.read', '$nope'), {}, auth)).status).toBe(404);
    expect((await server.client.post(receipt('m.read', eventId), {}, { token: eve.accessToken })).status).toBe(403);
  });
});

describe('read markers', () => {
  it('sets m.fully_read (room account data) and receipts in one call', async () => {
    const eventId = await send(server.client, alice, roomId, 'marker');
    const bobSince = (await sync(server.client, bob)).body.next_batch;
    const aliceSince = (await sync(server.client, alice)).body.next_batch;
    const res = await server.client.post(roomPath(roomId, '/read_markers'), { 'm.fully_read': eventId, 'm.read': eventId }, { token: bob.accessToken });
    expect(res.status).toBe(200);
    const bobSync = await sync(server.client, bob, { since: bobSince });
    expect(bobSync.body.rooms.join[roomId].account_data.events).toContainEqual({ type: 'm.fully_read', content: { event_id: eventId } });
    const got = await server.client.get(`${CS}/user/${encodeURIComponent(bob.userId)}/rooms/${encodeURIComponent(roomId)}/account_data/m.fully_read`, {
      token: bob.accessToken,
    });
    expect(got.body).toEqual({ event_id: eventId });
    const aliceSync = await sync(server.client, alice, { since: aliceSince });
    expect(Object.keys(ephemeralOf(aliceSync.body, 'm.receipt')?.content ?? {})).toContain(eventId);
    // The receipt endpoint takes m.fully_read too.
    const newer = await send(server.client, alice, roomId, 'newer');
    expect((await server.client.post(receipt('m.fully_read', newer), {}, { token: bob.accessToken })).status).toBe(200);
    expect(
      (await server.client.get(`${CS}/user/${encodeURIComponent(bob.userId)}/rooms/${encodeURIComponent(roomId)}/account_data/m.fully_read`, { token: bob.accessToken }))
        .body,
    ).toEqual({ event_id: newer });
  });
});
