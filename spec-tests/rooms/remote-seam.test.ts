// The seam federation plugs into: invites from rooms we are not in, and RemoteMembership for
// joins, knocks, leaves, invites and aliases on other servers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEvent } from '../../src/core/events/build.js';
import type { Pdu } from '../../src/core/events/pdu.js';
import { requireRoomVersion } from '../../src/core/room-versions.js';
import { signingKeyFromSeed } from '../../src/core/signing.js';
import type { RemoteMembership, RemoteMembershipRequest } from '../../src/services/rooms/remote-membership.js';
import { CS } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { enc, expectError, newUser, type RoomClient } from './helpers.js';

let server: TestServer;
let alice: RoomClient;
beforeAll(async () => {
  server = await startTestServer();
  alice = await newUser(server.client, 'alice');
});
afterAll(() => server.stop());

const remoteKey = signingKeyFromSeed(new Uint8Array(32).fill(3), 'ed25519:r');
const v12 = requireRoomVersion('12');

/** A v12 room on remote.example: its create event, and an invite for `userId` from its creator. */
function remoteInvite(userId: string) {
  const base = { version: v12, origin: 'remote.example', key: remoteKey, state: () => undefined };
  const create = buildEvent(
    { type: 'm.room.create', state_key: '', sender: '@zoe:remote.example', content: { room_version: '12' } },
    { ...base, originServerTs: 1, prevEvents: [] },
  );
  const invite = buildEvent(
    { type: 'm.room.member', state_key: userId, sender: '@zoe:remote.example', content: { membership: 'invite' }, room_id: create.event.room_id },
    { ...base, originServerTs: 2, prevEvents: [{ event_id: create.eventId, depth: 1 }] },
  );
  return { roomId: create.event.room_id, invite };
}

describe('remote rooms', () => {
  it('an invite received for a room we are not in becomes the membership; leaving goes remote', async () => {
    const rooms = server.homeserver.services.rooms;
    const { roomId, invite } = remoteInvite(alice.userId);
    const outcome = rooms.persister.persistOutOfRoomMembership({ pdu: invite.pdu, event: invite.event, version: v12 });
    expect(outcome.status).toBe('accepted');
    expect(rooms.access.membership(roomId, alice.userId)).toBe('invite');
    expect((await alice.joinedRooms()).body.joined_rooms).not.toContain(roomId);

    // Without federation, rejecting it cannot reach the room's servers.
    expectError(await alice.leave(roomId), 404, 'M_UNKNOWN');

    const calls: { kind: string; request?: RemoteMembershipRequest; alias?: string }[] = [];
    const fake: RemoteMembership = {
      async join(request) {
        calls.push({ kind: 'join', request });
        return { roomId: request.roomId };
      },
      async knock(request) {
        calls.push({ kind: 'knock', request });
        return { roomId: request.roomId };
      },
      async invite() {
        calls.push({ kind: 'invite' });
        throw new Error('unreachable');
      },
      async leave(request) {
        calls.push({ kind: 'leave', request });
      },
      async resolveAlias(alias) {
        calls.push({ kind: 'alias', alias });
        return alias === '#room:remote.example' ? { roomId, servers: ['remote.example'] } : undefined;
      },
    };
    rooms.setRemoteMembership(fake);

    expect((await alice.leave(roomId, 'no thanks')).status).toBe(200);
    expect(calls.at(-1)).toMatchObject({ kind: 'leave', request: { userId: alice.userId, roomId, content: { membership: 'leave', reason: 'no thanks' } } });

    const joined = await alice.join('#room:remote.example', {});
    expect(joined.body).toEqual({ room_id: roomId });
    expect(calls.at(-2)).toEqual({ kind: 'alias', alias: '#room:remote.example' });
    expect(calls.at(-1)).toMatchObject({ kind: 'join', request: { roomId, servers: ['remote.example'], content: { membership: 'join', displayname: 'alice' } } });

    const viaQuery = await alice.request('POST', `${CS}/join/${enc('!abc:other.example')}?via=a.example&via=b.example`, {});
    expect(viaQuery.status).toBe(200);
    expect(calls.at(-1)!.request!.servers).toEqual(['a.example', 'b.example', 'other.example']);

    expect((await alice.knock('!abc:other.example', 'hi')).status).toBe(200);
    expect(calls.at(-1)).toMatchObject({ kind: 'knock', request: { content: { membership: 'knock', reason: 'hi' } } });

    expect((await server.client.get(`${CS}/directory/room/${enc('#room:remote.example')}`)).body).toEqual({ room_id: roomId, servers: ['remote.example'] });
    expectError(await server.client.get(`${CS}/directory/room/${enc('#nothing:remote.example')}`), 404, 'M_NOT_FOUND');

    // Inviting a remote user: the invite is built, sent for countersigning, and refused here.
    const local = await alice.createRoomOk({});
    expectError(await alice.invite(local, '@someone:remote.example'), 500, 'M_UNKNOWN');
    expect(calls.at(-1)!.kind).toBe('invite');
  });

  it('persisting the same out-of-room invite twice is a duplicate', () => {
    const rooms = server.homeserver.services.rooms;
    const { invite } = remoteInvite('@bob:localhost');
    const pdu: Pdu = invite.pdu;
    expect(rooms.persister.persistOutOfRoomMembership({ pdu, event: invite.event, version: v12 }).status).toBe('accepted');
    expect(rooms.persister.persistOutOfRoomMembership({ pdu, event: invite.event, version: v12 }).status).toBe('duplicate');
  });
});
