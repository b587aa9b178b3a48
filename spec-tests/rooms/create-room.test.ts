// POST /createRoom across room versions and presets: the resulting state, as clients read it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { enc, expectError, newUser, type RoomClient } from './helpers.js';

let server: TestServer;
let alice: RoomClient;
let bob: RoomClient;
let carol: RoomClient;
beforeAll(async () => {
  server = await startTestServer();
  alice = await newUser(server.client, 'alice');
  bob = await newUser(server.client, 'bob');
  carol = await newUser(server.client, 'carol');
});
afterAll(() => server.stop());

async function content(user: RoomClient, roomId: string, type: string, stateKey = ''): Promise<Record<string, unknown>> {
  const res = await user.getState(roomId, type, stateKey);
  expect(res.status, `${type}: ${JSON.stringify(res.body)}`).toBe(200);
  return res.body;
}

describe.each(['1', '6', '10', '11', '12'])('room version %s', (version) => {
  it('private_chat: create, creator joined with power, invite-only, shared history, guests can join', async () => {
    const roomId = await alice.createRoomOk({ room_version: version, preset: 'private_chat', name: `Room v${version}`, topic: 'About things' });
    if (version === '12') expect(roomId).toMatch(/^![A-Za-z0-9_-]{43}$/);
    else expect(roomId).toMatch(/^![A-Za-z]+:localhost$/);

    const create = await content(alice, roomId, 'm.room.create');
    expect(create.room_version).toBe(version);
    if (Number(version) < 11) expect(create.creator).toBe(alice.userId);
    else expect(create.creator).toBeUndefined();

    expect((await content(alice, roomId, 'm.room.member', alice.userId)).membership).toBe('join');
    const pl = await content(alice, roomId, 'm.room.power_levels');
    if (version === '12') {
      expect(pl.users).toEqual({});
      expect((pl.events as Record<string, number>)['m.room.tombstone']).toBe(150);
    } else {
      expect(pl.users).toEqual({ [alice.userId]: 100 });
      expect((pl.events as Record<string, number>)['m.room.tombstone']).toBe(100);
    }
    expect(pl.invite).toBe(0);
    expect(await content(alice, roomId, 'm.room.join_rules')).toEqual({ join_rule: 'invite' });
    expect(await content(alice, roomId, 'm.room.history_visibility')).toEqual({ history_visibility: 'shared' });
    expect(await content(alice, roomId, 'm.room.guest_access')).toEqual({ guest_access: 'can_join' });
    expect((await content(alice, roomId, 'm.room.name')).name).toBe(`Room v${version}`);
    const topic = await content(alice, roomId, 'm.room.topic');
    expect(topic.topic).toBe('About things');
    expect(topic['m.topic']).toEqual({ 'm.text': [{ body: 'About things', mimetype: 'text/plain' }] });

    // The creator can send; an outsider cannot join an invite-only room.
    await alice.sendOk(roomId, 'hello');
    expectError(await bob.joinById(roomId), 403, 'M_FORBIDDEN');
  });

  it('public_chat: anyone may join; guests forbidden', async () => {
    const roomId = await alice.createRoomOk({ room_version: version, preset: 'public_chat' });
    expect(await content(alice, roomId, 'm.room.join_rules')).toEqual({ join_rule: 'public' });
    expect(await content(alice, roomId, 'm.room.guest_access')).toEqual({ guest_access: 'forbidden' });
    expect((await content(alice, roomId, 'm.room.power_levels')).invite).toBe(50);
    const join = await bob.joinById(roomId);
    expect(join.status).toBe(200);
    expect(join.body.room_id).toBe(roomId);
    expect((await content(bob, roomId, 'm.room.member', bob.userId)).membership).toBe('join');
  });

  it('trusted_private_chat with invites and is_direct', async () => {
    const roomId = await alice.createRoomOk({ room_version: version, preset: 'trusted_private_chat', invite: [bob.userId], is_direct: true });
    const invite = await content(alice, roomId, 'm.room.member', bob.userId);
    expect(invite).toMatchObject({ membership: 'invite', is_direct: true, displayname: 'bob' });
    const create = await content(alice, roomId, 'm.room.create');
    const pl = await content(alice, roomId, 'm.room.power_levels');
    if (version === '12') {
      // v12: invitees of a trusted chat become creators, with infinite power, never listed in users.
      expect(create.additional_creators).toEqual([bob.userId]);
      expect(pl.users).toEqual({});
    } else {
      expect(create.additional_creators).toBeUndefined();
      expect(pl.users).toEqual({ [alice.userId]: 100, [bob.userId]: 100 });
    }
    expect((await bob.joinById(roomId)).status).toBe(200);
    // Bob, as powerful as Alice, may change the name.
    expect((await bob.putState(roomId, 'm.room.name', '', { name: 'Ours' })).status).toBe(200);
  });
});

describe('createRoom options', () => {
  it('visibility public without preset means public_chat and a directory listing', async () => {
    const roomId = await alice.createRoomOk({ visibility: 'public', name: 'Listed' });
    expect((await content(alice, roomId, 'm.room.join_rules')).join_rule).toBe('public');
    const vis = await server.client.get(`${CS}/directory/list/room/${enc(roomId)}`);
    expect(vis.body).toEqual({ visibility: 'public' });
    const privateRoom = await alice.createRoomOk({});
    expect((await server.client.get(`${CS}/directory/list/room/${enc(privateRoom)}`)).body).toEqual({ visibility: 'private' });
  });

  it('initial_state overrides the preset; name and topic override initial_state', async () => {
    const roomId = await alice.createRoomOk({
      preset: 'public_chat',
      initial_state: [
        { type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } },
        { type: 'm.room.name', state_key: '', content: { name: 'from initial_state' } },
        { type: 'org.example.custom', state_key: 'k', content: { x: 1 } },
      ],
      name: 'from name',
    });
    expect((await content(alice, roomId, 'm.room.history_visibility')).history_visibility).toBe('world_readable');
    expect((await content(alice, roomId, 'm.room.name')).name).toBe('from name');
    expect(await content(alice, roomId, 'org.example.custom', 'k')).toEqual({ x: 1 });
    expect((await content(alice, roomId, 'm.room.join_rules')).join_rule).toBe('public');
  });

  it('power_level_content_override is applied on top of the defaults', async () => {
    const roomId = await alice.createRoomOk({ room_version: '10', power_level_content_override: { events_default: 10, users: { [alice.userId]: 100, [bob.userId]: 10 } } });
    const pl = await content(alice, roomId, 'm.room.power_levels');
    expect(pl.events_default).toBe(10);
    expect(pl.users).toEqual({ [alice.userId]: 100, [bob.userId]: 10 });
    expect(pl.state_default).toBe(50);
  });

  it('creation_content is kept, with creator and room_version overwritten', async () => {
    const roomId = await alice.createRoomOk({ room_version: '10', creation_content: { 'm.federate': false, type: 'm.space', creator: '@mallory:localhost', room_version: '1' } });
    const create = await content(alice, roomId, 'm.room.create');
    expect(create).toMatchObject({ 'm.federate': false, type: 'm.space', creator: alice.userId, room_version: '10' });
  });

  it('v12 additional_creators from creation_content are creators; PL excludes them', async () => {
    const roomId = await alice.createRoomOk({ room_version: '12', creation_content: { additional_creators: [carol.userId] }, invite: [carol.userId] });
    expect((await content(alice, roomId, 'm.room.create')).additional_creators).toEqual([carol.userId]);
    expect((await content(alice, roomId, 'm.room.power_levels')).users).toEqual({});
    expect((await carol.joinById(roomId)).status).toBe(200);
    // A creator may do anything, e.g. change the power levels.
    const pl = await content(carol, roomId, 'm.room.power_levels');
    expect((await carol.putState(roomId, 'm.room.power_levels', '', { ...pl, users: { [bob.userId]: 50 } })).status).toBe(200);
  });

  it('room_alias_name makes an alias and the canonical alias; a taken alias is M_ROOM_IN_USE', async () => {
    const roomId = await alice.createRoomOk({ room_alias_name: 'lobby' });
    expect(await content(alice, roomId, 'm.room.canonical_alias')).toEqual({ alias: '#lobby:localhost' });
    const resolved = await server.client.get(`${CS}/directory/room/${enc('#lobby:localhost')}`);
    expect(resolved.body).toEqual({ room_id: roomId, servers: ['localhost'] });
    const again = await alice.createRoom({ room_alias_name: 'lobby' });
    expectError(again, 400, 'M_ROOM_IN_USE');
    expectError(await alice.createRoom({ room_alias_name: 'bad:alias' }), 400, 'M_INVALID_PARAM');
  });

  it('rejects unknown room versions and invalid bodies', async () => {
    expectError(await alice.createRoom({ room_version: '99' }), 400, 'M_UNSUPPORTED_ROOM_VERSION');
    expectError(await alice.createRoom({ preset: 'party' }), 400, 'M_INVALID_PARAM');
    expectError(await alice.createRoom({ name: 42 }), 400, 'M_BAD_JSON');
    expectError(await alice.createRoom({ invite: ['not-a-user'] }), 400, 'M_INVALID_PARAM');
    const before = (await alice.joinedRooms()).body.joined_rooms.length;
    // The creator gives away the power to set join rules: the initial state is impossible.
    const impossible = await alice.createRoom({ room_version: '10', power_level_content_override: { users: {}, state_default: 50 } });
    expectError(impossible, 400, 'M_INVALID_ROOM_STATE');
    // ...and nothing of that room was kept.
    expect((await alice.joinedRooms()).body.joined_rooms.length).toBe(before);
  });

  it('is listed in joined_rooms', async () => {
    const roomId = await carol.createRoomOk({});
    expect((await carol.joinedRooms()).body.joined_rooms).toContain(roomId);
  });
});
