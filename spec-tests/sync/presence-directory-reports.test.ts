// Presence (set/get, visibility, on /sync), the user directory, and content reports.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, registerUser, type Session } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createRoom, join, send, sync } from './helpers.js';

let server: TestServer;
let alice: Session;
let bob: Session;
let stranger: Session;
let publicPerson: Session;
let roomId: string;
beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server.client, 'alice', 'pw');
  bob = await registerUser(server.client, 'bob', 'pw');
  stranger = await registerUser(server.client, 'stranger', 'pw');
  publicPerson = await registerUser(server.client, 'publicperson', 'pw');
  await server.client.put(`${CS}/profile/${encodeURIComponent(bob.userId)}/displayname`, { displayname: 'Bobby Tables' }, { token: bob.accessToken });
  roomId = await createRoom(server.client, alice, { invite: [bob.userId] });
  await join(server.client, bob, roomId);
  const publicRoom = await createRoom(server.client, publicPerson, { preset: 'public_chat' });
  expect(publicRoom).toMatch(/^!/);
});
afterAll(() => server.stop());

const presencePath = (userId: string) => `${CS}/presence/${encodeURIComponent(userId)}/status`;

describe('presence', () => {
  it('sets and reads one’s own presence and status message', async () => {
    const auth = { token: alice.accessToken };
    expect((await server.client.put(presencePath(alice.userId), { presence: 'unavailable', status_msg: 'lunch' }, auth)).status).toBe(200);
    const mine = await server.client.get(presencePath(alice.userId), auth);
    expect(mine.body).toMatchObject({ presence: 'unavailable', status_msg: 'lunch' });
    expect(typeof mine.body.last_active_ago).toBe('number');
  });

  it('sending a message marks one online and currently active', async () => {
    const auth = { token: bob.accessToken };
    expect((await server.client.put(presencePath(bob.userId), { presence: 'unavailable' }, auth)).status).toBe(200);
    await send(server.client, bob, roomId, 'back from lunch');
    const after = await server.client.get(presencePath(bob.userId), auth);
    expect(after.body).toMatchObject({ presence: 'online', currently_active: true });
  });

  it('is visible to users sharing a room, not to strangers', async () => {
    const asBob = await server.client.get(presencePath(alice.userId), { token: bob.accessToken });
    expect(asBob.status).toBe(200);
    expect(asBob.body.presence).toBe('unavailable');
    const asStranger = await server.client.get(presencePath(alice.userId), { token: stranger.accessToken });
    expect(asStranger.status).toBe(403);
    const unknown = await server.client.get(presencePath('@nobody:localhost'), { token: alice.accessToken });
    expect(unknown.status).toBe(404);
    const forOther = await server.client.put(presencePath(bob.userId), { presence: 'online' }, { token: alice.accessToken });
    expect(forOther.status).toBe(403);
    const bad = await server.client.put(presencePath(alice.userId), { presence: 'busy' }, { token: alice.accessToken });
    expect(bad.status).toBe(400);
  });

  it('arrives on /sync for room-mates, and syncing marks one online', async () => {
    const since = (await sync(server.client, bob, { setPresence: 'offline' })).body.next_batch;
    await server.client.put(presencePath(alice.userId), { presence: 'online', status_msg: 'back' }, { token: alice.accessToken });
    const res = await sync(server.client, bob, { since, setPresence: 'offline' });
    const event = res.body.presence.events.find((e: { sender: string }) => e.sender === alice.userId);
    expect(event).toMatchObject({ type: 'm.presence', content: { presence: 'online', status_msg: 'back' } });
    // A stranger's change is not delivered.
    const next = res.body.next_batch;
    await sync(server.client, stranger);
    const after = await sync(server.client, bob, { since: next, setPresence: 'offline' });
    expect((after.body.presence?.events ?? []).some((e: { sender: string }) => e.sender === stranger.userId)).toBe(false);
    // Syncing without set_presence marks bob online.
    await sync(server.client, bob);
    expect((await server.client.get(presencePath(bob.userId), { token: alice.accessToken })).body.presence).toBe('online');
  });
});

describe('user directory', () => {
  const search = (s: Session, term: string, limit?: number) =>
    server.client.post(`${CS}/user_directory/search`, { search_term: term, ...(limit === undefined ? {} : { limit }) }, { token: s.accessToken });

  it('finds room-mates by display name and user ID', async () => {
    const byName = await search(alice, 'tables');
    expect(byName.body.results).toEqual([{ user_id: bob.userId, display_name: 'Bobby Tables' }]);
    expect(byName.body.limited).toBe(false);
    expect((await search(alice, '@bob')).body.results.map((r: { user_id: string }) => r.user_id)).toEqual([bob.userId]);
  });

  it('finds users in public rooms but not unrelated users (Synapse default: search_all_users false)', async () => {
    expect((await search(alice, 'publicperson')).body.results.map((r: { user_id: string }) => r.user_id)).toEqual([publicPerson.userId]);
    expect((await search(alice, 'stranger')).body.results).toEqual([]);
  });

  it('sets limited when there are more results than asked for', async () => {
    const res = await search(alice, 'localhost', 1);
    expect(res.body.results).toHaveLength(1);
    expect(res.body.limited).toBe(true);
  });
});

describe('reports', () => {
  it('stores reports of events, rooms and users', async () => {
    const eventId = await send(server.client, bob, roomId, 'offensive');
    const auth = { token: alice.accessToken };
    expect((await server.client.post(`${CS}/rooms/${encodeURIComponent(roomId)}/report/${encodeURIComponent(eventId)}`, { reason: 'rude' }, auth)).status).toBe(200);
    expect((await server.client.post(`${CS}/rooms/${encodeURIComponent(roomId)}/report`, { reason: 'bad room' }, auth)).status).toBe(200);
    expect((await server.client.post(`${CS}/users/${encodeURIComponent(bob.userId)}/report`, { reason: 'spammer' }, auth)).status).toBe(200);
    const stored = server.homeserver.services.reports.recent(3);
    expect(stored.map((r) => [r.kind, r.reason, r.reporter])).toEqual([
      ['user', 'spammer', alice.userId],
      ['room', 'bad room', alice.userId],
      ['event', 'rude', alice.userId],
    ]);
    expect(stored[2]).toMatchObject({ roomId, eventId });
  });

  it('404s for unknown targets and for events of rooms one is not in', async () => {
    const eventId = await send(server.client, bob, roomId, 'hidden');
    const outsider = await server.client.post(`${CS}/rooms/${encodeURIComponent(roomId)}/report/${encodeURIComponent(eventId)}`, { reason: 'x' }, { token: stranger.accessToken });
    expect(outsider.status).toBe(404);
    const noRoom = await server.client.post(`${CS}/rooms/${encodeURIComponent('!nothere:localhost')}/report`, { reason: 'x' }, { token: alice.accessToken });
    expect(noRoom.status).toBe(404);
    const noUser = await server.client.post(`${CS}/users/${encodeURIComponent('@ghost:localhost')}/report`, { reason: 'x' }, { token: alice.accessToken });
    expect(noUser.status).toBe(404);
    const noReason = await server.client.post(`${CS}/users/${encodeURIComponent(bob.userId)}/report`, {}, { token: alice.accessToken });
    expect(noReason.status).toBe(400);
  });
});
