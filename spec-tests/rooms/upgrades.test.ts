// Room upgrades (room_upgrades.yaml): tombstone, replacement room with copied state, aliases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { enc, expectError, newUser, type RoomClient } from './helpers.js';

let server: TestServer;
let alice: RoomClient;
let bob: RoomClient;
let carol: RoomClient;
let dave: RoomClient;
beforeAll(async () => {
  server = await startTestServer();
  alice = await newUser(server.client, 'alice');
  bob = await newUser(server.client, 'bob');
  carol = await newUser(server.client, 'carol');
  dave = await newUser(server.client, 'dave');
});
afterAll(() => server.stop());

const upgrade = (user: RoomClient, roomId: string, body: Record<string, unknown>) =>
  user.request('POST', `${CS}/rooms/${enc(roomId)}/upgrade`, body);

describe.each([
  ['10', '12'],
  ['6', '11'],
  ['12', '12'],
])('upgrade from v%s to v%s', (from, to) => {
  it('replaces the room, copies its state and moves its aliases', async () => {
    const alias = `#upgrade-${from}-${to}:localhost`;
    const old = await alice.createRoomOk({
      room_version: from,
      preset: 'public_chat',
      visibility: 'public',
      name: 'Old room',
      topic: 'Old topic',
      room_alias_name: alias.slice(1, alias.indexOf(':')),
      power_level_content_override: from === '12' ? { users: { [bob.userId]: 50 } } : { users: { [alice.userId]: 100, [bob.userId]: 50 } },
    });
    await bob.joinById(old);
    await carol.joinById(old);
    await dave.joinById(old);
    await alice.ban(old, carol.userId, 'trouble');

    expectError(await bob.request('POST', `${CS}/rooms/${enc(old)}/upgrade`, { new_version: to }), 403, 'M_FORBIDDEN');
    const res = await upgrade(alice, old, { new_version: to });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const replacement = res.body.replacement_room as string;
    expect(replacement).not.toBe(old);

    // Old room: tombstone, ordinary members muted, no longer listed, alias gone.
    expect((await alice.getState(old, 'm.room.tombstone')).body).toEqual({ body: 'This room has been replaced', replacement_room: replacement });
    expectError(await dave.send(old, { msgtype: 'm.text', body: 'still here' }), 403, 'M_FORBIDDEN');
    expect((await alice.getState(old, 'm.room.power_levels')).body).toMatchObject({ events_default: 50, invite: 50 });
    expect((await server.client.get(`${CS}/directory/list/room/${enc(old)}`)).body.visibility).toBe('private');

    // New room: the version, predecessor, copied state and bans, the alias, the listing.
    const create = (await alice.getState(replacement, 'm.room.create')).body;
    expect(create.room_version).toBe(to);
    expect(create.predecessor.room_id).toBe(old);
    expect((await alice.getState(replacement, 'm.room.name')).body).toEqual({ name: 'Old room' });
    expect((await alice.getState(replacement, 'm.room.topic')).body.topic).toBe('Old topic');
    expect((await alice.getState(replacement, 'm.room.join_rules')).body).toEqual({ join_rule: 'public' });
    expect((await alice.getState(replacement, 'm.room.member', carol.userId)).body).toMatchObject({ membership: 'ban' });
    expect((await alice.getState(replacement, 'm.room.canonical_alias')).body.alias).toBe(alias);
    expect((await server.client.get(`${CS}/directory/room/${enc(alias)}`)).body.room_id).toBe(replacement);
    expect((await server.client.get(`${CS}/directory/list/room/${enc(replacement)}`)).body.visibility).toBe('public');
    const pl = (await alice.getState(replacement, 'm.room.power_levels')).body;
    expect(pl.users[bob.userId]).toBe(50);
    if (to === '12') expect(pl.users[alice.userId]).toBeUndefined();
    else expect(pl.users[alice.userId]).toBe(100);

    // Members follow by joining; the banned stay out.
    expect((await bob.joinById(replacement)).status).toBe(200);
    expectError(await carol.joinById(replacement), 403, 'M_FORBIDDEN');
    await bob.sendOk(replacement, 'moved');
  });
});

describe('upgrade refusals', () => {
  it('unknown versions and outsiders', async () => {
    const roomId = await alice.createRoomOk({});
    expectError(await upgrade(alice, roomId, { new_version: '42' }), 400, 'M_UNSUPPORTED_ROOM_VERSION');
    expectError(await upgrade(bob, roomId, { new_version: '12' }), 403, 'M_FORBIDDEN');
  });
});
