// The membership and query endpoints of the server-server API as another server calls them
// (X-Matrix signed by a real second Lattice), checked against the spec: version negotiation,
// the validation send_join / send_leave / invite MUST apply, faster-joins omit_members, the
// directory, publicRooms, hierarchy, user keys, OpenID, media, 3pid; and the client endpoints
// that reach other servers (profiles, directories, aliases).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEvent } from '../../src/core/events/build.js';
import { computeEventId } from '../../src/core/events/event-id.js';
import type { Pdu } from '../../src/core/events/pdu.js';
import { hashAndSignEvent } from '../../src/core/events/signing.js';
import type { JsonObject } from '../../src/core/json.js';
import { requireRoomVersion } from '../../src/core/room-versions.js';
import { signingKeyFromSeed } from '../../src/core/signing.js';
import { FederationHttpError, type FederationRequest } from '../../src/services/federation/federation-client.js';
import { CS, specValidator } from '../support/client.js';
import { enc, type RoomClient } from '../rooms/helpers.js';
import { Cluster, waitForMembership } from './support/cluster.js';

const F1 = '/_matrix/federation/v1';
const F2 = '/_matrix/federation/v2';

let cluster: Cluster;
let alice: RoomClient; // hs1.test: the resident server
let bob: RoomClient; // hs2.test: the server whose requests we forge or make

beforeAll(async () => {
  cluster = await Cluster.start(2);
  alice = await cluster.user(0, 'alice');
  bob = await cluster.user(1, 'bob');
}, 60_000);

afterAll(() => cluster?.stop());

/**
 * A request from hs2.test to hs1.test, X-Matrix signed; returns the body or the error. Every
 * answer is checked against the spec's schema for the operation, as TestClient does.
 */
async function fromB(request: FederationRequest): Promise<JsonObject | FederationHttpError> {
  try {
    const body = await cluster.server(1).homeserver.services.federation.client.request('hs1.test', request);
    specValidator().check(request.method, request.path, 200, body);
    return body;
  } catch (err) {
    if (err instanceof FederationHttpError) {
      specValidator().check(request.method, request.path, err.status, err.body);
      return err;
    }
    throw err;
  }
}

function expectFedError(result: JsonObject | FederationHttpError, status: number, errcode: string): FederationHttpError {
  expect(result).toBeInstanceOf(FederationHttpError);
  const err = result as FederationHttpError;
  expect({ status: err.status, errcode: err.errcode }, err.message).toEqual({ status, errcode });
  return err;
}

function ok(result: JsonObject | FederationHttpError): JsonObject {
  if (result instanceof FederationHttpError) throw new Error(`unexpected ${result.message}`);
  return result;
}

const bKey = () => cluster.server(1).homeserver.services.signingKey;

/** make_join from hs2 for `userId`, then the join signed by hs2 (optionally altered first). */
async function signedJoin(roomId: string, userId: string, alter: (event: JsonObject) => JsonObject = (e) => e): Promise<{ pdu: JsonObject; eventId: string }> {
  const made = ok(await fromB({ method: 'GET', path: `${F1}/make_join/${enc(roomId)}/${enc(userId)}`, query: { ver: ['10', '11', '12'] } }));
  const version = requireRoomVersion(made.room_version as string);
  const { origin: _origin, ...template } = made.event as JsonObject;
  const event = alter({ ...template, origin_server_ts: Date.now() });
  const pdu = hashAndSignEvent(event, 'hs2.test', bKey(), version) as JsonObject;
  return { pdu, eventId: computeEventId(pdu, version) };
}

describe('make_join and send_join', () => {
  let roomId: string;
  beforeAll(async () => {
    roomId = await alice.createRoomOk({ preset: 'public_chat', room_version: '11', name: 'Open room' });
  });

  it('negotiates the room version: M_INCOMPATIBLE_ROOM_VERSION names the room version', async () => {
    const err = expectFedError(await fromB({ method: 'GET', path: `${F1}/make_join/${enc(roomId)}/${enc('@x:hs2.test')}`, query: { ver: ['1', '2'] } }), 400, 'M_INCOMPATIBLE_ROOM_VERSION');
    expect(err.body?.room_version).toBe('11');
    // No `ver` at all means ["1"].
    expectFedError(await fromB({ method: 'GET', path: `${F1}/make_join/${enc(roomId)}/${enc('@x:hs2.test')}` }), 400, 'M_INCOMPATIBLE_ROOM_VERSION');
  });

  it('answers a template the joining server can sign', async () => {
    const made = ok(await fromB({ method: 'GET', path: `${F1}/make_join/${enc(roomId)}/${enc('@x:hs2.test')}`, query: { ver: ['11'] } }));
    expect(made.room_version).toBe('11');
    expect(made.event).toMatchObject({ type: 'm.room.member', state_key: '@x:hs2.test', sender: '@x:hs2.test', room_id: roomId, origin: 'hs1.test', content: { membership: 'join' } });
    expect((made.event as JsonObject).signatures).toBeUndefined();
  });

  it('refuses a user of another server, and rooms it is not in', async () => {
    expectFedError(await fromB({ method: 'GET', path: `${F1}/make_join/${enc(roomId)}/${enc('@x:hs1.test')}`, query: { ver: ['11'] } }), 403, 'M_FORBIDDEN');
    expectFedError(await fromB({ method: 'GET', path: `${F1}/make_join/${enc('!nope:hs1.test')}/${enc('@x:hs2.test')}`, query: { ver: ['11'] } }), 404, 'M_NOT_FOUND');
  });

  it('send_join validates the event as the spec lists', async () => {
    const cases: [string, (e: JsonObject) => JsonObject][] = [
      ['not a join', (e) => ({ ...e, content: { membership: 'leave' } })],
      ['not a member event', (e) => ({ ...e, type: 'm.room.topic' })],
      ['state_key is not the sender', (e) => ({ ...e, state_key: '@other:hs2.test' })],
    ];
    for (const [what, alter] of cases) {
      const { pdu, eventId } = await signedJoin(roomId, '@mallory:hs2.test', alter);
      const res = await fromB({ method: 'PUT', path: `${F2}/send_join/${enc(roomId)}/${enc(eventId)}`, body: pdu });
      expect(res, what).toBeInstanceOf(FederationHttpError);
      expect((res as FederationHttpError).status, what).toBeGreaterThanOrEqual(400);
    }
    // A sender of another server than the origin.
    const foreign = await signedJoin(roomId, '@mallory:hs2.test', (e) => ({ ...e, sender: '@mallory:hs3.test', state_key: '@mallory:hs3.test' }));
    expectFedError(await fromB({ method: 'PUT', path: `${F2}/send_join/${enc(roomId)}/${enc(foreign.eventId)}`, body: foreign.pdu }), 400, 'M_INVALID_PARAM');
    // A signature that does not verify.
    const good = await signedJoin(roomId, '@mallory:hs2.test');
    const forger = signingKeyFromSeed(new Uint8Array(32).fill(9), bKey().keyId);
    const { signatures: _s, hashes: _h, ...unsigned } = good.pdu;
    const forged = hashAndSignEvent(unsigned, 'hs2.test', forger, requireRoomVersion('11')) as JsonObject;
    expectFedError(await fromB({ method: 'PUT', path: `${F2}/send_join/${enc(roomId)}/${enc(good.eventId)}`, body: forged }), 400, 'M_INVALID_PARAM');
    // The path's event ID must be the event's.
    expectFedError(await fromB({ method: 'PUT', path: `${F2}/send_join/${enc(roomId)}/${enc('$notit')}`, body: good.pdu }), 400, 'M_INVALID_PARAM');
  });

  it('send_join returns the state before the join and its auth chain; it is idempotent', async () => {
    const { pdu, eventId } = await signedJoin(roomId, '@dave:hs2.test');
    const res = ok(await fromB({ method: 'PUT', path: `${F2}/send_join/${enc(roomId)}/${enc(eventId)}`, body: pdu }));
    const state = res.state as Pdu[];
    expect(state.map((e) => e.type)).toEqual(expect.arrayContaining(['m.room.create', 'm.room.power_levels', 'm.room.join_rules', 'm.room.member', 'm.room.name']));
    expect(state.some((e) => e.state_key === '@dave:hs2.test')).toBe(false);
    const chainTypes = (res.auth_chain as Pdu[]).map((e) => e.type);
    expect(chainTypes).toContain('m.room.create');
    expect(res.members_omitted).toBe(false);
    await waitForMembership(alice, roomId, '@dave:hs2.test', 'join');
    const again = ok(await fromB({ method: 'PUT', path: `${F2}/send_join/${enc(roomId)}/${enc(eventId)}`, body: pdu }));
    expect((again.state as Pdu[]).length).toBe(state.length);
  });

  it('faster joins: omit_members leaves members out but names the heroes and the servers in the room', async () => {
    const unnamed = await alice.createRoomOk({ preset: 'public_chat', room_version: '11' });
    const { pdu, eventId } = await signedJoin(unnamed, '@erin:hs2.test');
    const res = ok(await fromB({ method: 'PUT', path: `${F2}/send_join/${enc(unnamed)}/${enc(eventId)}`, query: { omit_members: 'true' }, body: pdu }));
    expect(res.members_omitted).toBe(true);
    expect(res.servers_in_room).toEqual(['hs1.test']);
    // No name and no alias: alice is a hero, so her membership stays.
    const members = (res.state as Pdu[]).filter((e) => e.type === 'm.room.member').map((e) => e.state_key);
    expect(members).toEqual([alice.userId]);
    const stateIds = new Set((res.state as Pdu[]).map((e) => computeEventId(e, requireRoomVersion('11'))));
    expect((res.auth_chain as Pdu[]).some((e) => stateIds.has(computeEventId(e, requireRoomVersion('11'))))).toBe(false);
  });
});

describe('make_leave and send_leave', () => {
  it('lets a remote member leave through us', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat', room_version: '9' });
    expect((await bob.request('POST', `${CS}/join/${enc(roomId)}?via=hs1.test`, {})).status).toBe(200);
    await waitForMembership(alice, roomId, bob.userId, 'join');
    const made = ok(await fromB({ method: 'GET', path: `${F1}/make_leave/${enc(roomId)}/${enc(bob.userId)}` }));
    expect(made.room_version).toBe('9');
    const { origin: _origin, ...template } = made.event as JsonObject;
    const version = requireRoomVersion('9');
    const pdu = hashAndSignEvent({ ...template, origin_server_ts: Date.now() }, 'hs2.test', bKey(), version) as JsonObject;
    const eventId = computeEventId(pdu, version);
    expect(ok(await fromB({ method: 'PUT', path: `${F2}/send_leave/${enc(roomId)}/${enc(eventId)}`, body: pdu }))).toEqual({});
    await waitForMembership(alice, roomId, bob.userId, 'leave');
    // A join event is not a leave.
    expectFedError(await fromB({ method: 'PUT', path: `${F2}/send_leave/${enc(roomId)}/${enc(eventId)}`, body: { ...pdu, content: { membership: 'join' } } }), 400, 'M_INVALID_PARAM');
  });
});

describe('invite v2', () => {
  const v12 = requireRoomVersion('12');
  /** A v12 room of hs2.test's making (its create event) and an invite from its creator. */
  function hs2Invite(invitee: string, key = bKey()) {
    const base = { version: v12, origin: 'hs2.test', key, state: () => undefined };
    const create = buildEvent(
      { type: 'm.room.create', state_key: '', sender: '@zed:hs2.test', content: { room_version: '12' } },
      { ...base, originServerTs: Date.now(), prevEvents: [] },
    );
    const invite = buildEvent(
      { type: 'm.room.member', state_key: invitee, sender: '@zed:hs2.test', content: { membership: 'invite' }, room_id: create.event.room_id },
      { ...base, originServerTs: Date.now(), prevEvents: [{ event_id: create.eventId, depth: 1 }] },
    );
    // invite_event.yaml wants the historical `origin`; Synapse still sets it, so ours does too.
    const { hashes: _h, signatures: _s, ...bare } = invite.pdu as JsonObject;
    const withOrigin = hashAndSignEvent({ ...bare, origin: 'hs2.test' }, 'hs2.test', key, v12) as JsonObject;
    return { roomId: create.event.room_id, create: create.pdu as JsonObject, invite: withOrigin, eventId: computeEventId(withOrigin, v12) };
  }
  const put = (roomId: string, eventId: string, body: JsonObject) => fromB({ method: 'PUT', path: `${F2}/invite/${enc(roomId)}/${enc(eventId)}`, body });

  it('countersigns a valid invite and keeps it for the invitee', async () => {
    const { roomId, create, invite, eventId } = hs2Invite(alice.userId);
    const res = ok(await put(roomId, eventId, { room_version: '12', event: invite, invite_room_state: [create] }));
    const signed = res.event as JsonObject;
    expect(Object.keys(signed.signatures as JsonObject).sort()).toEqual(['hs1.test', 'hs2.test']);
    expect(computeEventId(signed, v12)).toBe(eventId);
    const sync = await alice.request('GET', `${CS}/sync`);
    expect(sync.body.rooms.invite[roomId].invite_state.events.map((e: JsonObject) => e.type)).toEqual(['m.room.create', 'm.room.member']);
  });

  it('refuses what it must not sign', async () => {
    const { roomId, create, invite, eventId } = hs2Invite(alice.userId);
    // Unknown room version.
    expectFedError(await put(roomId, eventId, { room_version: '999', event: invite, invite_room_state: [create] }), 400, 'M_INCOMPATIBLE_ROOM_VERSION');
    // v12: the create event must be in invite_room_state.
    expectFedError(await put(roomId, eventId, { room_version: '12', event: invite, invite_room_state: [] }), 400, 'M_INVALID_PARAM');
    // Not for a user of ours.
    const other = hs2Invite('@someone:hs2.test');
    expectFedError(await put(other.roomId, other.eventId, { room_version: '12', event: other.invite, invite_room_state: [other.create] }), 400, 'M_INVALID_PARAM');
    // Forged signature.
    const forged = hs2Invite(alice.userId, signingKeyFromSeed(new Uint8Array(32).fill(5), bKey().keyId));
    expectFedError(await put(forged.roomId, forged.eventId, { room_version: '12', event: forged.invite, invite_room_state: [forged.create] }), 400, 'M_INVALID_PARAM');
    // Not an invite.
    const { signatures: _s, hashes: _h, ...bare } = invite;
    const leave = hashAndSignEvent({ ...bare, content: { membership: 'leave' } }, 'hs2.test', bKey(), v12) as JsonObject;
    expectFedError(await put(roomId, computeEventId(leave, v12), { room_version: '12', event: leave, invite_room_state: [create] }), 400, 'M_INVALID_PARAM');
  });
});

describe('queries', () => {
  it('query/directory resolves our aliases only', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat', room_alias_name: 'lobby' });
    const res = ok(await fromB({ method: 'GET', path: `${F1}/query/directory`, query: { room_alias: '#lobby:hs1.test' } }));
    expect(res).toEqual({ room_id: roomId, servers: ['hs1.test'] });
    expectFedError(await fromB({ method: 'GET', path: `${F1}/query/directory`, query: { room_alias: '#nope:hs1.test' } }), 404, 'M_NOT_FOUND');
    expectFedError(await fromB({ method: 'GET', path: `${F1}/query/directory`, query: { room_alias: '#lobby:hs2.test' } }), 404, 'M_NOT_FOUND');
    // The client side of it: GET /directory/room/{alias} on hs2 asks hs1.
    const viaClient = await bob.request('GET', `${CS}/directory/room/${enc('#lobby:hs1.test')}`);
    expect(viaClient.body).toEqual({ room_id: roomId, servers: ['hs1.test'] });
  });

  it('publicRooms (GET and POST) lists our published rooms; clients reach it with ?server=', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat', visibility: 'public', name: 'Listed zebra room' });
    const listed = ok(await fromB({ method: 'GET', path: `${F1}/publicRooms`, query: { limit: '50' } }));
    expect((listed.chunk as JsonObject[]).map((r) => r.room_id)).toContain(roomId);
    const filtered = ok(await fromB({ method: 'POST', path: `${F1}/publicRooms`, body: { filter: { generic_search_term: 'zebra' } } }));
    expect((filtered.chunk as JsonObject[]).map((r) => r.room_id)).toEqual([roomId]);
    const viaClient = await bob.request('GET', `${CS}/publicRooms?server=hs1.test`);
    expect(viaClient.status).toBe(200);
    expect((viaClient.body.chunk as JsonObject[]).map((r) => r.room_id)).toContain(roomId);
    const searched = await bob.request('POST', `${CS}/publicRooms?server=hs1.test`, { filter: { generic_search_term: 'zebra' } });
    expect((searched.body.chunk as JsonObject[]).map((r) => r.room_id)).toEqual([roomId]);
  });

  it('remote profiles through the client API', async () => {
    expect((await alice.request('PUT', `${CS}/profile/${enc(alice.userId)}/displayname`, { displayname: 'Alice A.' })).status).toBe(200);
    const whole = await bob.client.get(`${CS}/profile/${enc(alice.userId)}`);
    expect(whole.status).toBe(200);
    expect(whole.body.displayname).toBe('Alice A.');
    const field = await bob.client.get(`${CS}/profile/${enc(alice.userId)}/displayname`);
    expect(field.body).toEqual({ displayname: 'Alice A.' });
    expect((await bob.client.get(`${CS}/profile/${enc('@ghost:hs1.test')}`)).status).toBe(404);
  });

  it('hierarchy: a space and its children, inaccessible ones named', async () => {
    const child = await alice.createRoomOk({ preset: 'public_chat', name: 'Child' });
    const hidden = await alice.createRoomOk({ preset: 'private_chat', name: 'Hidden' });
    const space = await alice.createRoomOk({ preset: 'public_chat', name: 'Space', creation_content: { type: 'm.space' } });
    expect((await alice.putState(space, 'm.space.child', child, { via: ['hs1.test'], suggested: true })).status).toBe(200);
    expect((await alice.putState(space, 'm.space.child', hidden, { via: ['hs1.test'] })).status).toBe(200);
    expect((await alice.putState(space, 'm.space.child', '!unknown:hs9.test', { via: ['hs9.test'] })).status).toBe(200);
    const res = ok(await fromB({ method: 'GET', path: `${F1}/hierarchy/${enc(space)}` }));
    const room = res.room as JsonObject;
    expect(room).toMatchObject({ room_id: space, name: 'Space', room_type: 'm.space' });
    expect((room.children_state as JsonObject[]).map((c) => c.state_key).sort()).toEqual([child, hidden, '!unknown:hs9.test'].sort());
    expect((res.children as JsonObject[]).map((c) => c.room_id)).toEqual([child]);
    expect(res.inaccessible_children).toEqual([hidden]);
    const suggested = ok(await fromB({ method: 'GET', path: `${F1}/hierarchy/${enc(space)}`, query: { suggested_only: 'true' } }));
    expect(((suggested.room as JsonObject).children_state as JsonObject[]).map((c) => c.state_key)).toEqual([child]);
    expectFedError(await fromB({ method: 'GET', path: `${F1}/hierarchy/${enc(hidden)}` }), 404, 'M_NOT_FOUND');
  });

  // Devices with keys are covered by e2ee-keys.test.ts; a device without uploaded keys cannot be
  // listed (the spec requires `keys`), so alice's device is not.
  it('user devices and keys: correctly shaped for a user who has uploaded no keys', async () => {
    const devices = ok(await fromB({ method: 'GET', path: `${F1}/user/devices/${enc(alice.userId)}` }));
    expect(devices).toMatchObject({ user_id: alice.userId, devices: [] });
    expect(Number.isSafeInteger(devices['stream_id'])).toBe(true);
    expectFedError(await fromB({ method: 'GET', path: `${F1}/user/devices/${enc('@ghost:hs1.test')}` }), 404, 'M_NOT_FOUND');
    expect(ok(await fromB({ method: 'POST', path: `${F1}/user/keys/query`, body: { device_keys: { [alice.userId]: [], '@x:hs2.test': [] } } }))).toEqual({ device_keys: { [alice.userId]: {} }, master_keys: {}, self_signing_keys: {} });
    expect(ok(await fromB({ method: 'POST', path: `${F1}/user/keys/claim`, body: { one_time_keys: { [alice.userId]: { DEV: 'signed_curve25519' } } } }))).toEqual({ one_time_keys: {} });
  });

  it('OpenID: a token requested by the client identifies the user to anyone holding it', async () => {
    const issued = await alice.request('POST', `${CS}/user/${enc(alice.userId)}/openid/request_token`, {});
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ token_type: 'Bearer', matrix_server_name: 'hs1.test', expires_in: 3600 });
    const info = await cluster.server(0).client.get(`${F1}/openid/userinfo`, { query: { access_token: issued.body.access_token } });
    expect(info.body).toEqual({ sub: alice.userId });
    const bad = await cluster.server(0).client.get(`${F1}/openid/userinfo`, { query: { access_token: 'nope' } });
    expect(bad.status).toBe(401);
    expect(bad.body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await alice.request('POST', `${CS}/user/${enc(bob.userId)}/openid/request_token`, {})).status).toBe(403);
  });

  it('federation media answers 404 M_NOT_FOUND for unknown media', async () => {
    expectFedError(await fromB({ method: 'GET', path: `${F1}/media/download/abc` }), 404, 'M_NOT_FOUND');
    expectFedError(await fromB({ method: 'GET', path: `${F1}/media/thumbnail/abc`, query: { width: '32', height: '32' } }), 404, 'M_NOT_FOUND');
  });

  it('3pid: onbind is accepted; exchange_third_party_invite refuses an invite no 3pid invite backs', async () => {
    const onbind = await cluster.server(0).client.put(`${F1}/3pid/onbind`, { medium: 'email', address: 'a@example.org', mxid: alice.userId, invites: [] });
    expect(onbind.status).toBe(200);
    const roomId = await alice.createRoomOk({ preset: 'private_chat' });
    const partial = {
      type: 'm.room.member',
      room_id: roomId,
      sender: alice.userId,
      state_key: bob.userId,
      content: { membership: 'invite', third_party_invite: { display_name: 'b...', signed: { mxid: bob.userId, token: 'nope', signatures: {} } } },
    };
    expectFedError(await fromB({ method: 'PUT', path: `${F1}/exchange_third_party_invite/${enc(roomId)}`, body: partial }), 403, 'M_FORBIDDEN');
    expectFedError(await fromB({ method: 'PUT', path: `${F1}/exchange_third_party_invite/${enc(roomId)}`, body: { ...partial, type: 'm.room.topic' } }), 400, 'M_INVALID_PARAM');
  });
});
