// Membership flows (joining, inviting, leaving, kicking, banning, knocking .yaml) and their refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectError, newUser, type RoomClient } from './helpers.js';

let server: TestServer;
let alice: RoomClient;
let bob: RoomClient;
let carol: RoomClient;
let dave: RoomClient;
beforeAll(async () => {
  server = await startTestServer();
  [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => newUser(server.client, n)));
});
afterAll(() => server.stop());

async function membershipOf(viewer: RoomClient, roomId: string, userId: string): Promise<string | undefined> {
  const res = await viewer.getState(roomId, 'm.room.member', userId);
  return res.status === 200 ? res.body.membership : undefined;
}

describe.each(['6', '10', '12'])('membership in room version %s', (version) => {
  it('invite → join → leave, with joined_rooms and joined_members following', async () => {
    const roomId = await alice.createRoomOk({ room_version: version });
    expect((await alice.invite(roomId, bob.userId)).status).toBe(200);
    expect(await membershipOf(alice, roomId, bob.userId)).toBe('invite');
    expect((await bob.joinedRooms()).body.joined_rooms).not.toContain(roomId);

    expect((await bob.joinById(roomId)).status).toBe(200);
    expect((await bob.joinedRooms()).body.joined_rooms).toContain(roomId);
    const joined = await alice.joinedMembers(roomId);
    expect(joined.body.joined).toEqual({ [alice.userId]: { display_name: 'alice' }, [bob.userId]: { display_name: 'bob' } });

    // Joining again changes nothing and still answers with the room.
    expect((await bob.join(roomId)).body).toEqual({ room_id: roomId });

    expect((await bob.leave(roomId, 'bye')).status).toBe(200);
    expect((await bob.joinedRooms()).body.joined_rooms).not.toContain(roomId);
    const leave = await alice.getState(roomId, 'm.room.member', bob.userId);
    expect(leave.body).toEqual({ membership: 'leave', reason: 'bye' });
    expect(Object.keys((await alice.joinedMembers(roomId)).body.joined)).toEqual([alice.userId]);
  });

  it('refuses joins and invites the rules refuse', async () => {
    const roomId = await alice.createRoomOk({ room_version: version });
    expectError(await bob.joinById(roomId), 403, 'M_FORBIDDEN');
    // Not in the room: may not invite, send, or set state.
    expectError(await bob.invite(roomId, carol.userId), 403, 'M_FORBIDDEN');
    expectError(await bob.send(roomId, { msgtype: 'm.text', body: 'x' }), 403, 'M_FORBIDDEN');
    expectError(await bob.putState(roomId, 'm.room.name', '', { name: 'x' }), 403, 'M_FORBIDDEN');
    // Inviting someone who is already joined.
    expectError(await alice.invite(roomId, alice.userId), 403, 'M_FORBIDDEN');
    expectError(await alice.invite(roomId, '@nobody:localhost'), 404, 'M_NOT_FOUND');
    expectError(await alice.invite(roomId, 'nobody'), 400, 'M_INVALID_PARAM');
  });

  it('kick needs the kick level and a member target', async () => {
    const roomId = await alice.createRoomOk({ room_version: version, preset: 'public_chat' });
    await bob.joinById(roomId);
    await carol.joinById(roomId);
    // Bob (level 0) may not kick Carol.
    expectError(await bob.kick(roomId, carol.userId), 403, 'M_FORBIDDEN');
    expect((await alice.kick(roomId, carol.userId, 'rude')).status).toBe(200);
    expect((await alice.getState(roomId, 'm.room.member', carol.userId)).body).toEqual({ membership: 'leave', reason: 'rude' });
    // Kicked, but the room is public: Carol can come back.
    expect((await carol.joinById(roomId)).status).toBe(200);
    // Dave was never in the room.
    expectError(await alice.kick(roomId, dave.userId), 403, 'M_FORBIDDEN');
    // Nobody may kick the creator.
    expectError(await bob.kick(roomId, alice.userId), 403, 'M_FORBIDDEN');
  });

  it('ban keeps a user out until unbanned', async () => {
    const roomId = await alice.createRoomOk({ room_version: version, preset: 'public_chat' });
    await bob.joinById(roomId);
    expectError(await bob.ban(roomId, alice.userId), 403, 'M_FORBIDDEN');
    expect((await alice.ban(roomId, bob.userId, 'spam')).status).toBe(200);
    expect(await membershipOf(alice, roomId, bob.userId)).toBe('ban');
    expectError(await bob.joinById(roomId), 403, 'M_FORBIDDEN');
    expectError(await bob.send(roomId, { body: 'still here?' }), 403, 'M_FORBIDDEN');
    // Banning someone never in the room works too (pre-emptive ban).
    expect((await alice.ban(roomId, dave.userId)).status).toBe(200);
    expectError(await dave.joinById(roomId), 403, 'M_FORBIDDEN');
    // Unban: only banned users, only with the ban level.
    expectError(await alice.unban(roomId, carol.userId), 403, 'M_FORBIDDEN');
    expect((await alice.unban(roomId, bob.userId)).status).toBe(200);
    expect(await membershipOf(alice, roomId, bob.userId)).toBe('leave');
    expect((await bob.joinById(roomId)).status).toBe(200);
  });

  it('forget: only after leaving', async () => {
    const roomId = await alice.createRoomOk({ room_version: version, preset: 'public_chat' });
    await bob.joinById(roomId);
    expectError(await bob.forget(roomId), 400, 'M_UNKNOWN');
    await bob.leave(roomId);
    expect((await bob.forget(roomId)).status).toBe(200);
    // Forgetting does not stop one from joining again.
    expect((await bob.joinById(roomId)).status).toBe(200);
  });

  it('left users read the state as it was when they left', async () => {
    const roomId = await alice.createRoomOk({ room_version: version, preset: 'public_chat', name: 'Before' });
    await bob.joinById(roomId);
    await bob.leave(roomId);
    await alice.putState(roomId, 'm.room.name', '', { name: 'After' });
    expect((await bob.getState(roomId, 'm.room.name')).body).toEqual({ name: 'Before' });
    expect((await alice.getState(roomId, 'm.room.name')).body).toEqual({ name: 'After' });
    // Someone never in the room reads nothing.
    expectError(await dave.getState(roomId, 'm.room.name'), 403, 'M_FORBIDDEN');
    expectError(await dave.allState(roomId), 403, 'M_FORBIDDEN');
    expectError(await dave.members(roomId), 403, 'M_FORBIDDEN');
  });
});

describe('knocking', () => {
  it('knock, then invite admits; knock refused where the join rule is not knock', async () => {
    const roomId = await alice.createRoomOk({ room_version: '10', initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] });
    const knock = await bob.knock(roomId, 'let me in');
    expect(knock.status).toBe(200);
    expect(knock.body).toEqual({ room_id: roomId });
    expect((await alice.getState(roomId, 'm.room.member', bob.userId)).body).toMatchObject({ membership: 'knock', reason: 'let me in' });
    // A knock is not an invitation.
    expectError(await bob.joinById(roomId), 403, 'M_FORBIDDEN');
    expect((await alice.invite(roomId, bob.userId)).status).toBe(200);
    expect((await bob.joinById(roomId)).status).toBe(200);
    // Already joined: no knocking.
    expectError(await bob.knock(roomId), 403, 'M_FORBIDDEN');

    const inviteOnly = await alice.createRoomOk({ room_version: '10' });
    expectError(await carol.knock(inviteOnly), 403, 'M_FORBIDDEN');
    // Room version 6 has no knocking at all.
    const v6 = await alice.createRoomOk({ room_version: '6', initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] });
    expectError(await carol.knock(v6), 403, 'M_FORBIDDEN');
  });

  it('a knock can be withdrawn by leaving; unknown rooms are 404', async () => {
    const roomId = await alice.createRoomOk({ room_version: '12', initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] });
    expect((await carol.knock(roomId)).status).toBe(200);
    expect((await carol.leave(roomId)).status).toBe(200);
    expect(await membershipOf(alice, roomId, carol.userId)).toBe('leave');
    expectError(await carol.knock('!nowhere:localhost'), 404, 'M_NOT_FOUND');
  });
});

describe('joins by alias and unknown rooms', () => {
  it('joins through a local alias', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat', room_alias_name: 'members-lobby' });
    const res = await dave.join('#members-lobby:localhost');
    expect(res.status).toBe(200);
    expect(res.body.room_id).toBe(roomId);
    expect(await membershipOf(alice, roomId, dave.userId)).toBe('join');
    expectError(await dave.join('#missing:localhost'), 404, 'M_NOT_FOUND');
  });

  it('remote and unknown rooms answer 404 M_UNKNOWN until federation can reach them', async () => {
    expectError(await dave.join('!unknown:elsewhere.example'), 404, 'M_UNKNOWN');
    expectError(await dave.joinById('!unknown:localhost'), 404, 'M_UNKNOWN');
    expectError(await dave.leave('!unknown:localhost'), 404, 'M_NOT_FOUND');
  });
});

describe('members', () => {
  it('filters by membership and not_membership', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat' });
    await bob.joinById(roomId);
    await alice.invite(roomId, carol.userId);
    await dave.joinById(roomId);
    await dave.leave(roomId);

    const ids = async (query?: Record<string, string>): Promise<string[]> => {
      const res = await alice.members(roomId, query);
      expect(res.status).toBe(200);
      return (res.body.chunk as { state_key: string }[]).map((e) => e.state_key).sort();
    };
    expect(await ids()).toEqual([alice.userId, bob.userId, carol.userId, dave.userId].sort());
    expect(await ids({ membership: 'join' })).toEqual([alice.userId, bob.userId].sort());
    expect(await ids({ membership: 'invite' })).toEqual([carol.userId]);
    expect(await ids({ not_membership: 'leave' })).toEqual([alice.userId, bob.userId, carol.userId].sort());
    // Both given: an OR.
    expect(await ids({ membership: 'leave', not_membership: 'join' })).toEqual([carol.userId, dave.userId].sort());
    expectError(await alice.members(roomId, { membership: 'party' }), 400, 'M_INVALID_PARAM');
  });

  it('members at a sync token: the membership as of that point', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat' });
    const sync = await server.client.get('/_matrix/client/v3/sync', { token: alice.session.accessToken, query: { timeout: '0' } });
    expect(sync.status).toBe(200);
    const token = sync.body.next_batch as string;
    await bob.joinById(roomId);
    const then = await alice.members(roomId, { at: token });
    expect(then.status).toBe(200);
    expect((then.body.chunk as { state_key: string }[]).map((e) => e.state_key)).toEqual([alice.userId]);
    const now = await alice.members(roomId);
    expect(now.body.chunk).toHaveLength(2);

    // A timeline's prev_batch: the members just before its first event.
    await carol.joinById(roomId);
    const later = await server.client.get('/_matrix/client/v3/sync', {
      token: alice.session.accessToken,
      query: { timeout: '0', since: token, filter: JSON.stringify({ room: { timeline: { limit: 1 } } }) },
    });
    const prevBatch = later.body.rooms.join[roomId].timeline.prev_batch as string;
    const before = await alice.members(roomId, { at: prevBatch });
    expect((before.body.chunk as { state_key: string }[]).map((e) => e.state_key).sort()).toEqual([alice.userId, bob.userId].sort());
    expectError(await alice.members(roomId, { at: 'garbage' }), 400, 'M_INVALID_PARAM');
  });
});

describe('profile changes', () => {
  it('reach the member events of joined rooms', async () => {
    const erin = await newUser(server.client, 'erin');
    const roomA = await erin.createRoomOk({ room_version: '12' });
    const roomB = await erin.createRoomOk({ room_version: '10' });
    const left = await erin.createRoomOk({});
    await erin.leave(left);
    const put = await erin.request('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(erin.userId)}/displayname`, { displayname: 'Erin E.' });
    expect(put.status).toBe(200);
    await erin.request('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(erin.userId)}/avatar_url`, { avatar_url: 'mxc://localhost/erin' });
    for (const roomId of [roomA, roomB]) {
      expect((await erin.getState(roomId, 'm.room.member', erin.userId)).body).toEqual({
        membership: 'join',
        displayname: 'Erin E.',
        avatar_url: 'mxc://localhost/erin',
      });
      expect((await erin.joinedMembers(roomId)).body.joined[erin.userId]).toEqual({ display_name: 'Erin E.', avatar_url: 'mxc://localhost/erin' });
    }
    // Rooms she left are left alone.
    expect((await erin.getState(left, 'm.room.member', erin.userId)).body).toEqual({ membership: 'leave' });
  });

  it('deactivated users leave their rooms', async () => {
    const frank = await newUser(server.client, 'frank');
    const roomId = await alice.createRoomOk({ preset: 'public_chat' });
    await frank.joinById(roomId);
    const first = await frank.request('POST', '/_matrix/client/v3/account/deactivate', {});
    const done = await frank.request('POST', '/_matrix/client/v3/account/deactivate', {
      auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'frank' }, password: 'password', session: first.body.session },
    });
    expect(done.status).toBe(200);
    expect((await alice.getState(roomId, 'm.room.member', frank.userId)).body.membership).toBe('leave');
  });
});
