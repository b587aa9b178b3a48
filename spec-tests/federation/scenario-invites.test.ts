// Invites, rejections and knocks across servers: invite v2 with stripped state, make_leave /
// send_leave, make_knock / send_knock, for rooms we are not in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS } from '../support/client.js';
import type { RoomClient } from '../rooms/helpers.js';
import { Cluster, membershipOf, waitFor, waitForMembership } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test
let carol: RoomClient; // hs3.test (index 1 here: two servers)

beforeAll(async () => {
  cluster = await Cluster.start(2);
  alice = await cluster.user(0, 'alice');
  carol = await cluster.user(1, 'carol');
}, 60_000);

afterAll(() => cluster?.stop());

async function syncInvite(user: RoomClient, roomId: string): Promise<Record<string, unknown>[] | undefined> {
  const res = await user.request('GET', `${CS}/sync`);
  return res.body.rooms?.invite?.[roomId]?.invite_state?.events;
}

describe('invites', () => {
  it('a remote invite shows in sync with the stripped state, and can be rejected', async () => {
    const roomId = await alice.createRoomOk({ preset: 'private_chat', name: 'Secret plans', room_version: '11' });
    const invited = await alice.invite(roomId, carol.userId);
    expect(invited.status, JSON.stringify(invited.body)).toBe(200);
    expect(await membershipOf(alice, roomId, carol.userId)).toBe('invite');

    const events = await waitFor('the invite in sync', () => syncInvite(carol, roomId));
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['m.room.create', 'm.room.name', 'm.room.join_rules', 'm.room.member']));
    expect(events.find((e) => e.type === 'm.room.name')?.content).toEqual({ name: 'Secret plans' });

    const before = await carol.request('GET', `${CS}/sync`);
    const rejected = await carol.leave(roomId, 'not now');
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    await waitForMembership(alice, roomId, carol.userId, 'leave');
    // The rejection reaches the client as the room's leave, carrying the leave event (clients
    // such as matrix-js-sdk take the new membership from it).
    const after = await carol.request('GET', `${CS}/sync?since=${encodeURIComponent(before.body.next_batch as string)}`);
    expect(after.body.rooms?.invite?.[roomId]).toBeUndefined();
    const timeline = after.body.rooms?.leave?.[roomId]?.timeline?.events as { type: string; state_key: string; content: { membership: string } }[];
    expect(timeline.map((e) => [e.type, e.state_key, e.content.membership])).toEqual([['m.room.member', carol.userId, 'leave']]);
  });

  it('a remote invite can be accepted by joining', async () => {
    const roomId = await alice.createRoomOk({ preset: 'private_chat', room_version: '12' });
    expect((await alice.invite(roomId, carol.userId)).status).toBe(200);
    await waitFor('the invite in sync', () => syncInvite(carol, roomId));
    const joined = await carol.joinById(roomId);
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    await waitForMembership(alice, roomId, carol.userId, 'join');
    expect(await membershipOf(carol, roomId, carol.userId)).toBe('join');
  });

  it('joining a private room without an invite is refused with the remote 403', async () => {
    const roomId = await alice.createRoomOk({ preset: 'private_chat', room_version: '10' });
    const res = await carol.request('POST', `${CS}/join/${encodeURIComponent(roomId)}`, {});
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body.errcode).toBe('M_FORBIDDEN');
  });
});

describe('knocking', () => {
  it('knocks on a remote room, the knock shows on both servers, and an invite lets them in', async () => {
    const roomId = await alice.createRoomOk({ preset: 'private_chat', room_version: '10', name: 'Knock knock' });
    expect((await alice.putState(roomId, 'm.room.join_rules', '', { join_rule: 'knock' })).status).toBe(200);
    const knocked = await carol.request('POST', `${CS}/knock/${encodeURIComponent(roomId)}?via=hs1.test`, { reason: 'let me in' });
    expect(knocked.status, JSON.stringify(knocked.body)).toBe(200);
    await waitForMembership(alice, roomId, carol.userId, 'knock');
    const sync = await carol.request('GET', `${CS}/sync`);
    const knockState = sync.body.rooms?.knock?.[roomId]?.knock_state?.events as { type: string; content: Record<string, unknown> }[];
    expect(knockState.find((e) => e.type === 'm.room.name')?.content).toEqual({ name: 'Knock knock' });

    expect((await alice.invite(roomId, carol.userId)).status).toBe(200);
    expect((await carol.joinById(roomId)).status).toBe(200);
    await waitForMembership(alice, roomId, carol.userId, 'join');
  });

  it('refuses to knock on a room version without knocking', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat', room_version: '6' });
    const res = await carol.request('POST', `${CS}/knock/${encodeURIComponent(roomId)}?via=hs1.test`, {});
    expect(res.status).toBe(403);
  });
});

describe('restricted rooms', () => {
  it('a member of an allowed room joins through a server that vouches for it (v8+)', async () => {
    const space = await alice.createRoomOk({ preset: 'public_chat', room_version: '10', creation_content: { type: 'm.space' } });
    const restricted = await alice.createRoomOk({
      preset: 'private_chat',
      room_version: '10',
      initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: space }] } }],
    });
    // Not in the space yet: hs1 cannot vouch.
    const early = await carol.request('POST', `${CS}/join/${encodeURIComponent(restricted)}?via=hs1.test`, {});
    expect(early.status).toBe(400);
    expect(early.body.errcode).toBe('M_UNABLE_TO_AUTHORISE_JOIN');

    expect((await carol.request('POST', `${CS}/join/${encodeURIComponent(space)}?via=hs1.test`, {})).status).toBe(200);
    await waitForMembership(alice, space, carol.userId, 'join');
    const joined = await carol.request('POST', `${CS}/join/${encodeURIComponent(restricted)}?via=hs1.test`, {});
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    await waitForMembership(alice, restricted, carol.userId, 'join');
    const member = await alice.getState(restricted, 'm.room.member', carol.userId);
    expect(member.body.join_authorised_via_users_server).toBe(alice.userId);
  });
});
