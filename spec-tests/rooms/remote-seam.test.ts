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

/** A v12 room on remote.example (one per `ts`): its create event, and an invite for `userId` from its creator. */
function remoteInvite(userId: string, ts = 1) {
  const base = { version: v12, origin: 'remote.example', key: remoteKey, state: () => undefined };
  const create = buildEvent(
    { type: 'm.room.create', state_key: '', sender: '@zoe:remote.example', content: { room_version: '12' } },
    { ...base, originServerTs: ts, prevEvents: [] },
  );
  const invite = buildEvent(
    { type: 'm.room.member', state_key: userId, sender: '@zoe:remote.example', content: { membership: 'invite' }, room_id: create.event.room_id },
    { ...base, originServerTs: ts + 1, prevEvents: [{ event_id: create.eventId, depth: 1 }] },
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
    const before = await alice.request('GET', `${CS}/sync`);
    expect(before.body.rooms?.invite?.[roomId]).toBeDefined();

    // No server of the room can be reached (remote.example does not resolve): as Synapse does,
    // the invite is rejected locally (it used to be a 404 M_UNKNOWN that left the invite in place).
    expect((await alice.leave(roomId)).status).toBe(200);
    expect(rooms.access.membership(roomId, alice.userId)).toBe('leave');
    const synced = await alice.request('GET', `${CS}/sync?since=${encodeURIComponent(String(before.body.next_batch))}`);
    expect(synced.body.rooms?.invite?.[roomId]).toBeUndefined();
    expect(synced.body.rooms?.leave?.[roomId]).toBeDefined();
    expect((await alice.request('GET', `${CS}/sync`)).body.rooms?.invite?.[roomId]).toBeUndefined();

    const second = remoteInvite(alice.userId, 10);
    expect(rooms.persister.persistOutOfRoomMembership({ pdu: second.invite.pdu, event: second.invite.event, version: v12 }).status).toBe('accepted');

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

    expect((await alice.leave(second.roomId, 'no thanks')).status).toBe(200);
    expect(calls.at(-1)).toMatchObject({ kind: 'leave', request: { userId: alice.userId, roomId: second.roomId, content: { membership: 'leave', reason: 'no thanks' } } });

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
