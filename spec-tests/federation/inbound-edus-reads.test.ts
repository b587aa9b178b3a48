// EDUs in and out, our events out, and the read endpoints other servers catch up with (Lattice
// hs1.test on 127.0.0.15, scripted peer evil.test on 127.0.0.16). Every federation response is
// checked against the spec's OpenAPI schemas by the test client.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { CS } from '../support/client.js';
import { enc } from '../rooms/helpers.js';
import { wire } from './support/hostile-peer.js';
import { startInboundFixture, text, type InboundFixture } from './support/inbound-fixture.js';

let f: InboundFixture;
let roomId: string;
const FED = '/_matrix/federation/v1';

beforeAll(async () => {
  f = await startInboundFixture({ latticeHost: '127.0.0.15', peerHost: '127.0.0.16' });
  roomId = await f.roomWithMallory();
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

function dbRows(sql: string, ...params: unknown[]): JsonObject[] {
  const db = new Database(f.lattice.config.databasePath, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as JsonObject[];
  } finally {
    db.close();
  }
}

async function until<T>(what: () => T | undefined, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = what();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function sync(): Promise<JsonObject> {
  const res = await f.alice.request('GET', `${CS}/sync?timeout=0`);
  expect(res.status).toBe(200);
  return res.body as JsonObject;
}

describe('EDUs from the peer', () => {
  it('typing, receipts and presence reach our users; spoofed users are ignored', async () => {
    const message = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('read me') });
    await f.send([wire(message.pdu)]);
    const res = await f.send(
      [],
      [
        { edu_type: 'm.typing', content: { room_id: roomId, user_id: f.mallory, typing: true } },
        { edu_type: 'm.typing', content: { room_id: roomId, user_id: '@bob:hs1.test', typing: true } },
        { edu_type: 'm.receipt', content: { [roomId]: { 'm.read': { [f.mallory]: { event_ids: [message.eventId], data: { ts: 1_700_000_000_000 } } } } } },
        { edu_type: 'm.presence', content: { push: [{ user_id: f.mallory, presence: 'online', last_active_ago: 5000, status_msg: 'plotting', currently_active: true }] } },
        { edu_type: 'm.presence', content: { push: [{ user_id: '@alice:hs1.test', presence: 'offline', last_active_ago: 0 }] } },
        { edu_type: 'm.something_new', content: { whatever: true } },
        'garbage',
      ],
    );
    expect(res.status).toBe(200);
    expect(f.lattice.homeserver.services.typing.typers(roomId)).toEqual([f.mallory]);

    const body = await sync();
    const room = ((body['rooms'] as JsonObject)['join'] as JsonObject)[roomId] as JsonObject;
    const ephemeral = ((room['ephemeral'] as JsonObject)['events'] as JsonObject[]).map((e) => e['type']);
    expect(ephemeral).toContain('m.typing');
    expect(ephemeral).toContain('m.receipt');
    const presence = await f.alice.request('GET', `${CS}/presence/${enc(f.mallory)}/status`);
    expect(presence.body).toMatchObject({ presence: 'online', status_msg: 'plotting', currently_active: true });
    const own = await f.alice.request('GET', `${CS}/presence/${enc(f.alice.userId)}/status`);
    expect(own.body.presence).not.toBe('offline');
  });

  it('to-device messages, device list and cross-signing updates reach E2EE storage', async () => {
    /** An ed25519 public key (32 bytes, unpadded base64): anything else is refused. */
    const MASTER = 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc';
    await f.send(
      [],
      [
        {
          edu_type: 'm.direct_to_device',
          content: { sender: f.mallory, type: 'm.room_key_request', message_id: 'm1', messages: { [f.alice.userId]: { '*': { action: 'request' } }, '@nobody:hs1.test': { X: {} } } },
        },
        { edu_type: 'm.direct_to_device', content: { sender: '@eve:elsewhere.test', type: 'm.x', message_id: 'm2', messages: { [f.alice.userId]: { '*': {} } } } },
        { edu_type: 'm.device_list_update', content: { user_id: f.mallory, device_id: 'DEV1', stream_id: 7, prev_id: [], deleted: false, keys: { user_id: f.mallory, device_id: 'DEV1', algorithms: [], keys: {}, signatures: {} } } },
        { edu_type: 'm.signing_key_update', content: { user_id: f.mallory, master_key: { user_id: f.mallory, usage: ['master'], keys: { [`ed25519:${MASTER}`]: MASTER } } } },
      ],
    );
    // Sent again (a retry under a new transaction ID): stored once.
    await f.send([], [{ edu_type: 'm.direct_to_device', content: { sender: f.mallory, type: 'm.room_key_request', message_id: 'm1', messages: { [f.alice.userId]: { '*': { action: 'request' } } } } }]);
    // '*' reaches each of alice's devices (she has one), once; eve is not a user of the origin.
    const toDevice = dbRows('SELECT sender, user_id, device_id, type, origin FROM to_device_inbox');
    expect(toDevice).toEqual([{ sender: f.mallory, user_id: f.alice.userId, device_id: f.alice.session.deviceId, type: 'm.room_key_request', origin: 'evil.test' }]);
    expect(dbRows('SELECT user_id, device_id, stream_id FROM remote_device_lists')).toEqual([{ user_id: f.mallory, device_id: 'DEV1', stream_id: 7 }]);
    expect(dbRows('SELECT user_id, key_type, public_key FROM e2e_cross_signing_keys')).toEqual([{ user_id: f.mallory, key_type: 'master', public_key: MASTER }]);
  });
});

describe('our events and EDUs go to the peer', () => {
  it('sends our messages, typing and receipts to the servers in the room', async () => {
    const eventId = await f.alice.sendOk(roomId, 'hello evil.test');
    const pdu = await until(() => f.peer.transactions().flatMap((t) => t['pdus'] as JsonObject[]).find((p) => (p['content'] as JsonObject)['body'] === 'hello evil.test'));
    expect(pdu['sender']).toBe(f.alice.userId);
    expect(pdu).not.toHaveProperty('unsigned');

    await f.alice.request('PUT', `${CS}/rooms/${enc(roomId)}/typing/${enc(f.alice.userId)}`, { typing: true, timeout: 10_000 });
    await f.alice.request('POST', `${CS}/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {});
    const edus = () => f.peer.transactions().flatMap((t) => (t['edus'] as JsonObject[] | undefined) ?? []);
    const typing = await until(() => edus().find((e) => e['edu_type'] === 'm.typing'));
    expect(typing['content']).toEqual({ room_id: roomId, user_id: f.alice.userId, typing: true });
    const receipt = await until(() => edus().find((e) => e['edu_type'] === 'm.receipt'));
    expect((((receipt['content'] as JsonObject)[roomId] as JsonObject)['m.read'] as JsonObject)[f.alice.userId]).toMatchObject({ event_ids: [eventId] });
  });

  it('a kicked server still hears of its kick; a room without remote members sends nothing', async () => {
    const other = await f.roomWithMallory();
    expect((await f.alice.kick(other, f.mallory, 'bye')).status).toBe(200);
    await until(() =>
      f.peer.transactions().flatMap((t) => t['pdus'] as JsonObject[]).find((p) => p['room_id'] === other && p['type'] === 'm.room.member' && p['state_key'] === f.mallory && p['sender'] === f.alice.userId),
    );
    const lonely = await f.alice.createRoomOk({});
    await f.alice.sendOk(lonely, 'nobody hears this');
    await new Promise((r) => setTimeout(r, 200));
    expect(f.peer.transactions().flatMap((t) => t['pdus'] as JsonObject[]).some((p) => p['room_id'] === lonely)).toBe(false);
  });
});

describe('read endpoints', () => {
  let latest: string;
  beforeAll(async () => {
    for (let i = 0; i < 5; i++) latest = await f.alice.sendOk(roomId, `history ${i}`);
  });

  it('GET /event: the PDU as signed; unknown events 404', async () => {
    const res = await f.peer.request(f.lattice, 'GET', `${FED}/event/${enc(latest)}`);
    expect(res.status).toBe(200);
    expect(res.body.origin).toBe('hs1.test');
    expect(res.body.pdus).toHaveLength(1);
    expect(res.body.pdus[0].content.body).toBe('history 4');
    expect(res.body.pdus[0].signatures).toHaveProperty(['hs1.test']);
    expect((await f.peer.request(f.lattice, 'GET', `${FED}/event/${enc('$nope')}`)).status).toBe(404);
  });

  it('GET /state_ids and /state: the state before the event, with its auth chain', async () => {
    const ids = await f.peer.request(f.lattice, 'GET', `${FED}/state_ids/${enc(roomId)}?event_id=${enc(latest)}`);
    expect(ids.status).toBe(200);
    const current = [...f.lattice.homeserver.services.rooms.state.currentStateMap(roomId).values()].sort();
    expect([...ids.body.pdu_ids].sort()).toEqual(current);
    const state = await f.peer.request(f.lattice, 'GET', `${FED}/state/${enc(roomId)}?event_id=${enc(latest)}`);
    expect(state.status).toBe(200);
    expect(state.body.pdus).toHaveLength(current.length);
    expect(state.body.auth_chain.length).toBe(ids.body.auth_chain_ids.length);

    // Before mallory's join, mallory is not in the state.
    const join = f.lattice.homeserver.services.rooms.state.currentLookup(roomId)('m.room.member', f.mallory)!.event_id;
    const before = await f.peer.request(f.lattice, 'GET', `${FED}/state_ids/${enc(roomId)}?event_id=${enc(join)}`);
    expect(before.body.pdu_ids).not.toContain(join);
    expect(before.body.pdu_ids.length).toBe(current.length - 1);
    expect((await f.peer.request(f.lattice, 'GET', `${FED}/state_ids/${enc(roomId)}`)).status).toBe(400);
  });

  it('GET /event_auth: the auth chain of an event', async () => {
    const res = await f.peer.request(f.lattice, 'GET', `${FED}/event_auth/${enc(roomId)}/${enc(latest)}`);
    expect(res.status).toBe(200);
    const types = (res.body.auth_chain as JsonObject[]).map((e) => e['type']);
    expect(types).toContain('m.room.create');
    expect(types).toContain('m.room.power_levels');
    expect(types).toContain('m.room.member');
  });

  it('GET /backfill and POST /get_missing_events walk history backwards', async () => {
    const back = await f.peer.request(f.lattice, 'GET', `${FED}/backfill/${enc(roomId)}?v=${enc(latest)}&limit=3`);
    expect(back.status).toBe(200);
    expect((back.body.pdus as JsonObject[]).map((p) => (p['content'] as JsonObject)['body'])).toEqual(['history 4', 'history 3', 'history 2']);

    const createId = f.lattice.homeserver.services.rooms.state.currentLookup(roomId)('m.room.create', '')!.event_id;
    const missing = await f.peer.request(f.lattice, 'POST', `${FED}/get_missing_events/${enc(roomId)}`, {
      earliest_events: [createId],
      latest_events: [latest],
      limit: 2,
      min_depth: 0,
    });
    expect(missing.status).toBe(200);
    expect((missing.body.events as JsonObject[]).map((p) => (p['content'] as JsonObject)['body'])).toEqual(['history 2', 'history 3']);
  });

  it('GET /timestamp_to_event', async () => {
    const res = await f.peer.request(f.lattice, 'GET', `${FED}/timestamp_to_event/${enc(roomId)}?ts=0&dir=f`);
    expect(res.status).toBe(200);
    expect(res.body.event_id).toBe(f.lattice.homeserver.services.rooms.state.currentLookup(roomId)('m.room.create', '')!.event_id);
    const none = await f.peer.request(f.lattice, 'GET', `${FED}/timestamp_to_event/${enc(roomId)}?ts=${Date.now() + 3_600_000}&dir=f`);
    expect(none.status).toBe(404);
  });

  it('history visibility: events from before a `joined` server joined go out redacted', async () => {
    const secret = await f.alice.createRoomOk({ preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }] });
    const hidden = await f.alice.sendOk(secret, 'before you came');
    const join = f.build(secret, { type: 'm.room.member', state_key: f.mallory, sender: f.mallory, content: { membership: 'join' } });
    await f.send([wire(join.pdu)]);
    const shown = await f.alice.sendOk(secret, 'after you came');
    const res = await f.peer.request(f.lattice, 'GET', `${FED}/backfill/${enc(secret)}?v=${enc(shown)}&limit=10`);
    const byId = new Map((res.body.pdus as JsonObject[]).map((p) => [p['event_id'] ?? '', p]));
    const contents = (res.body.pdus as JsonObject[]).map((p) => (p['content'] as JsonObject)['body']);
    expect(contents).toContain('after you came');
    expect(contents).not.toContain('before you came');
    expect(byId.size).toBeGreaterThan(0);
    const single = await f.peer.request(f.lattice, 'GET', `${FED}/event/${enc(hidden)}`);
    expect(single.body.pdus[0].content).toEqual({});
  });

  it('a server not in the room may read nothing of it', async () => {
    const privateRoom = await f.alice.createRoomOk({});
    const eventId = await f.alice.sendOk(privateRoom, 'mine');
    for (const uri of [
      `${FED}/event/${enc(eventId)}`,
      `${FED}/state_ids/${enc(privateRoom)}?event_id=${enc(eventId)}`,
      `${FED}/state/${enc(privateRoom)}?event_id=${enc(eventId)}`,
      `${FED}/event_auth/${enc(privateRoom)}/${enc(eventId)}`,
      `${FED}/backfill/${enc(privateRoom)}?v=${enc(eventId)}&limit=10`,
      `${FED}/timestamp_to_event/${enc(privateRoom)}?ts=0&dir=f`,
    ]) {
      const res = await f.peer.request(f.lattice, 'GET', uri);
      expect(res.status, uri).toBe(403);
    }
    const post = await f.peer.request(f.lattice, 'POST', `${FED}/get_missing_events/${enc(privateRoom)}`, { earliest_events: [], latest_events: [eventId] });
    expect(post.status).toBe(403);
  });
});
