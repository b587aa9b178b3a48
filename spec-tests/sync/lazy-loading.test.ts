// Lazy-loaded members on /sync (filter room.state.lazy_load_members): only the members the
// timeline needs, each sent once per device unless include_redundant_members, and every
// membership change in a gap regardless.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, registerUser, type Session } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createRoom, join, send, stateOf, sync } from './helpers.js';

let server: TestServer;
let alice: Session;
let bob: Session;
let carol: Session;
let dave: Session;
let roomId: string;
const lazy = { room: { state: { lazy_load_members: true }, timeline: { limit: 2 } } };
const redundant = { room: { state: { lazy_load_members: true, include_redundant_members: true }, timeline: { limit: 2 } } };

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server.client, 'alice', 'pw');
  bob = await registerUser(server.client, 'bob', 'pw');
  carol = await registerUser(server.client, 'carol', 'pw');
  dave = await registerUser(server.client, 'dave', 'pw');
  roomId = await createRoom(server.client, alice, { preset: 'public_chat', name: 'Lazy' });
  for (const s of [bob, carol, dave]) await join(server.client, s, roomId);
  await send(server.client, bob, roomId, 'bob speaks');
  await send(server.client, carol, roomId, 'carol speaks');
});
afterAll(() => server.stop());

const members = (events: { type: string; state_key?: string }[]) =>
  events
    .filter((e) => e.type === 'm.room.member')
    .map((e) => e.state_key)
    .sort();

describe('lazy_load_members', () => {
  it('an initial sync carries only the timeline senders and oneself', async () => {
    const res = await sync(server.client, alice, { filter: lazy });
    expect(members(stateOf(res.body, roomId))).toEqual([alice.userId, bob.userId, carol.userId].sort());
    // Without lazy loading every member is there.
    const full = await sync(server.client, alice, { filter: { room: { timeline: { limit: 2 } } } });
    expect(members(stateOf(full.body, roomId))).toEqual([alice.userId, bob.userId, carol.userId, dave.userId].sort());
    expect(full.body.rooms.join[roomId].summary['m.joined_member_count']).toBe(4);
  });

  it('sends a new sender’s member event once, then not again', async () => {
    const since = (await sync(server.client, alice, { filter: lazy })).body.next_batch;
    await send(server.client, dave, roomId, 'dave speaks');
    const first = await sync(server.client, alice, { since, filter: lazy });
    expect(members(stateOf(first.body, roomId))).toEqual([dave.userId]);
    await send(server.client, dave, roomId, 'dave again');
    const second = await sync(server.client, alice, { since: first.body.next_batch, filter: lazy });
    expect(members(stateOf(second.body, roomId))).toEqual([]);
    // include_redundant_members sends it every time.
    await send(server.client, dave, roomId, 'and again');
    const third = await sync(server.client, alice, { since: second.body.next_batch, filter: redundant });
    expect(members(stateOf(third.body, roomId))).toEqual([dave.userId]);
  });

  it('resends members to a device that retries an older token, and keeps devices apart', async () => {
    // The initial sync's timeline (2 events) is bob's, so dave's member event is not in it.
    await send(server.client, bob, roomId, 'bob 1');
    await send(server.client, bob, roomId, 'bob 2');
    const start = (await sync(server.client, alice, { filter: lazy })).body.next_batch;
    await send(server.client, dave, roomId, 'retry me');
    const once = await sync(server.client, alice, { since: start, filter: lazy });
    expect(members(stateOf(once.body, roomId))).toEqual([dave.userId]);
    // The response got lost: the same token again must carry dave once more.
    const again = await sync(server.client, alice, { since: start, filter: lazy });
    expect(members(stateOf(again.body, roomId))).toEqual([dave.userId]);
    // Another device of alice's knows nothing yet.
    const other = await login(server.client, 'alice', 'pw');
    const device = { userId: alice.userId, accessToken: other.body.access_token as string, deviceId: other.body.device_id as string };
    const fresh = await sync(server.client, device, { filter: lazy });
    expect(members(stateOf(fresh.body, roomId))).toContain(dave.userId);
  });

  it('returns every membership change in a gap even when lazy', async () => {
    const since = (await sync(server.client, alice, { filter: lazy })).body.next_batch;
    const erin = await registerUser(server.client, 'erin', 'pw');
    await join(server.client, erin, roomId);
    for (let i = 0; i < 4; i++) await send(server.client, bob, roomId, `filler ${i}`);
    const res = await sync(server.client, alice, { since, filter: lazy });
    expect(res.body.rooms.join[roomId].timeline.limited).toBe(true);
    expect(members(stateOf(res.body, roomId))).toContain(erin.userId);
  });
});
