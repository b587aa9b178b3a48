// Every federation exchange between real Lattice instances, checked on the wire against the
// spec's server-server OpenAPI definitions: each server is reached through a tap that validates
// the request body and the response body of every call. Two Lattice servers agreeing with each
// other proves little about Synapse; both agreeing with the spec's schemas is what Synapse,
// Dendrite and tuwunel parse.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS } from '../support/client.js';
import { enc, type RoomClient } from '../rooms/helpers.js';
import { TestDevice } from '../e2ee/e2ee-support.js';
import { Cluster, waitFor, waitForMembership, waitForMessage } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test
let bob: RoomClient; // hs2.test
let carol: RoomClient; // hs3.test
let dave: RoomClient; // hs2.test

beforeAll(async () => {
  cluster = await Cluster.start(3);
  [alice, bob, carol, dave] = await Promise.all([cluster.user(0, 'alice'), cluster.user(1, 'bob'), cluster.user(2, 'carol'), cluster.user(1, 'dave')]);
}, 60_000);

afterAll(() => cluster?.stop());

function taps() {
  return cluster.nodes.map((n) => n.tap!);
}

describe('federation on the wire matches the spec', () => {
  it('a day in the life of three servers: joins, chat, EDUs, invites, knocks, kicks, bans, queries, backfill, keys, media', async () => {
    // History before anyone else joins, so the joiners backfill it.
    const roomId = await alice.createRoomOk({ preset: 'public_chat', visibility: 'public', room_version: '12', room_alias_name: 'wire', name: 'Wire' });
    for (let i = 0; i < 15; i++) await alice.sendOk(roomId, `before ${i}`);

    // Join by alias (query/directory, make_join, send_join) and by ID with a via server.
    expect((await bob.request('POST', `${CS}/join/${enc('#wire:hs1.test')}`, {})).status).toBe(200);
    expect((await carol.request('POST', `${CS}/join/${enc(roomId)}?via=hs1.test`, {})).status).toBe(200);
    await waitForMembership(alice, roomId, carol.userId, 'join');

    // Chat both ways (transactions), typing, receipts, presence.
    const fromBob = await bob.sendOk(roomId, 'hello from hs2');
    await waitForMessage(alice, roomId, 'hello from hs2');
    await alice.sendOk(roomId, 'hello from hs1');
    await waitForMessage(carol, roomId, 'hello from hs1');
    expect((await bob.request('PUT', `${CS}/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, { typing: true, timeout: 10_000 })).status).toBe(200);
    expect((await alice.request('POST', `${CS}/rooms/${enc(roomId)}/receipt/m.read/${enc(fromBob)}`, {})).status).toBe(200);
    expect((await carol.request('PUT', `${CS}/presence/${enc(carol.userId)}/status`, { presence: 'online', status_msg: 'here' })).status).toBe(200);

    // Backfill: carol pages back past her join.
    let from: string | undefined;
    const bodies: string[] = [];
    for (let page = 0; page < 10; page++) {
      const res = await carol.request('GET', `${CS}/rooms/${enc(roomId)}/messages?dir=b&limit=10${from ? `&from=${enc(from)}` : ''}`);
      expect(res.status).toBe(200);
      for (const e of res.body.chunk as { type: string; content: { body?: string } }[]) if (e.content.body?.startsWith('before')) bodies.push(e.content.body);
      if (res.body.end === undefined) break;
      from = res.body.end;
    }
    expect(bodies).toHaveLength(15);

    // Knock on a knockable room (make_knock / send_knock), then be let in.
    const knockRoom = await alice.createRoomOk({ preset: 'private_chat', room_version: '12', name: 'Knock' });
    expect((await alice.putState(knockRoom, 'm.room.join_rules', '', { join_rule: 'knock' })).status).toBe(200);
    expect((await carol.request('POST', `${CS}/knock/${enc(knockRoom)}?via=hs1.test`, { reason: 'please' })).status).toBe(200);
    await waitForMembership(alice, knockRoom, carol.userId, 'knock');
    expect((await alice.invite(knockRoom, carol.userId)).status).toBe(200);
    expect((await carol.joinById(knockRoom)).status).toBe(200);
    await waitForMembership(alice, knockRoom, carol.userId, 'join');

    // Invite (v2) a user of a server not in the room, who rejects (make_leave / send_leave).
    expect((await alice.invite(knockRoom, dave.userId)).status).toBe(200);
    await waitFor('dave sees the invite', async () => ((await dave.request('GET', `${CS}/sync`)).body.rooms?.invite?.[knockRoom] ? true : undefined));
    expect((await dave.leave(knockRoom, 'not now')).status).toBe(200);
    await waitForMembership(alice, knockRoom, dave.userId, 'leave');

    // Kick and ban across servers.
    expect((await alice.request('POST', `${CS}/rooms/${enc(roomId)}/kick`, { user_id: bob.userId, reason: 'out' })).status).toBe(200);
    await waitForMembership(bob, roomId, bob.userId, 'leave');
    expect((await alice.request('POST', `${CS}/rooms/${enc(roomId)}/ban`, { user_id: bob.userId })).status).toBe(200);
    await waitForMembership(carol, roomId, bob.userId, 'ban');

    // Queries: a remote profile, a remote room directory.
    expect((await bob.request('GET', `${CS}/profile/${enc(alice.userId)}`)).status).toBe(200);
    const rooms = await bob.request('GET', `${CS}/publicRooms?server=hs1.test`);
    expect(rooms.status).toBe(200);
    expect((rooms.body.chunk as { room_id: string }[]).map((r) => r.room_id)).toContain(roomId);
    expect((await bob.request('POST', `${CS}/publicRooms?server=hs1.test`, { limit: 5, filter: { generic_search_term: 'wire' } })).status).toBe(200);

    // End-to-end keys of a remote user (user/keys/query, user/keys/claim), a to-device message,
    // and remote media (authenticated federation media, multipart).
    const carolDevice = new TestDevice(carol.userId, carol.session.deviceId);
    const upload = await carol.request('POST', `${CS}/keys/upload`, { device_keys: carolDevice.deviceKeys(), one_time_keys: carolDevice.oneTimeKeys(2) });
    expect(upload.status, JSON.stringify(upload.body)).toBe(200);
    const queried = await bob.request('POST', `${CS}/keys/query`, { device_keys: { [carol.userId]: [] } });
    expect(Object.keys(queried.body.device_keys[carol.userId] ?? {})).toEqual([carol.session.deviceId]);
    const claimed = await bob.request('POST', `${CS}/keys/claim`, { one_time_keys: { [carol.userId]: { [carol.session.deviceId]: 'signed_curve25519' } } });
    expect(Object.keys(claimed.body.one_time_keys[carol.userId]?.[carol.session.deviceId] ?? {})).toHaveLength(1);
    const sent = await bob.request('PUT', `${CS}/sendToDevice/m.wire.test/${Date.now()}`, { messages: { [carol.userId]: { '*': { hello: 'carol' } } } });
    expect(sent.status).toBe(200);
    await waitFor('the to-device message at carol', async () => {
      const res = await carol.request('GET', `${CS}/sync?timeout=500`);
      return (res.body.to_device?.events as { type: string }[] | undefined)?.some((e) => e.type === 'm.wire.test') ? true : undefined;
    });
    const media = await alice.client.request('POST', '/_matrix/media/v3/upload?filename=wire.txt', {
      token: alice.session.accessToken,
      raw: 'over the wire',
      headers: { 'content-type': 'text/plain' },
    });
    expect(media.status).toBe(200);
    const mediaId = (media.body.content_uri as string).split('/').pop()!;
    const download = await bob.request('GET', `/_matrix/client/v1/media/download/hs1.test/${mediaId}`);
    expect(download.status).toBe(200);

    // What went over the wire.
    const exchanges = taps().flatMap((t) => t.exchanges);
    const seen = new Set(exchanges.map((e) => e.operationId));
    for (const op of [
      'getServerKey',
      'sendTransaction',
      'queryRoomDirectory',
      'makeJoin',
      'sendJoinV2',
      'sendInviteV2',
      'makeLeave',
      'sendLeaveV2',
      'makeKnock',
      'sendKnock',
      'backfillRoom',
      'queryProfile',
      'getPublicRooms',
      'queryPublicRooms',
      'queryUserEncryptionKeys',
      'claimUserEncryptionKeys',
      'getContent',
    ]) {
      expect(seen, `no ${op} exchange was seen`).toContain(op);
    }
    // Nothing outside the spec's paths, and every body as the spec defines it.
    expect(exchanges.filter((e) => e.operationId === undefined)).toEqual([]);
    expect(taps().flatMap((t) => t.violations)).toEqual([]);
  });
});
