// Sending events (room_send.yaml), state (room_state.yaml, rooms.yaml) and power-level enforcement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { CS, login } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { RoomClient, enc, expectError, newUser } from './helpers.js';

let server: TestServer;
let alice: RoomClient;
let bob: RoomClient;
beforeAll(async () => {
  server = await startTestServer();
  alice = await newUser(server.client, 'alice');
  bob = await newUser(server.client, 'bob');
});
afterAll(() => server.stop());

describe('send', () => {
  it('is idempotent per device and transaction ID', async () => {
    const roomId = await alice.createRoomOk({});
    const first = await alice.send(roomId, { msgtype: 'm.text', body: 'once' }, 'm.room.message', 'txn-1');
    const again = await alice.send(roomId, { msgtype: 'm.text', body: 'once' }, 'm.room.message', 'txn-1');
    expect(first.status).toBe(200);
    expect(again.body.event_id).toBe(first.body.event_id);

    // Another device of the same user with the same txnId sends a new event.
    const otherLogin = await login(server.client, 'alice', 'password');
    const otherDevice = new RoomClient(server.client, {
      userId: alice.userId,
      accessToken: otherLogin.body.access_token,
      deviceId: otherLogin.body.device_id,
    });
    const other = await otherDevice.send(roomId, { msgtype: 'm.text', body: 'once' }, 'm.room.message', 'txn-1');
    expect(other.status).toBe(200);
    expect(other.body.event_id).not.toBe(first.body.event_id);

    // The sending device sees its transaction ID; the other device does not.
    const own = await alice.event(roomId, first.body.event_id);
    expect(own.body.unsigned.transaction_id).toBe('txn-1');
    const seenElsewhere = await otherDevice.event(roomId, first.body.event_id);
    expect(seenElsewhere.body.unsigned.transaction_id).toBeUndefined();
    expect(seenElsewhere.body).toMatchObject({ type: 'm.room.message', sender: alice.userId, room_id: roomId, content: { body: 'once' } });
    expect(typeof seenElsewhere.body.unsigned.age).toBe('number');
  });

  it('concurrent sends share commits without losing idempotency or order', async () => {
    const roomId = await alice.createRoomOk({});
    const same = await Promise.all(Array.from({ length: 10 }, () => alice.send(roomId, { msgtype: 'm.text', body: 'dup' }, 'm.room.message', 'same-txn')));
    expect(new Set(same.map((r) => r.body.event_id)).size).toBe(1);

    const mixed = await Promise.all([
      alice.send(roomId, { msgtype: 'm.text', body: 'a' }),
      alice.send(roomId, { msgtype: 'm.text', body: 'x'.repeat(70_000) }),
      alice.send(roomId, { msgtype: 'm.text', body: 'b' }),
    ]);
    expect(mixed.map((r) => r.status)).toEqual([200, 413, 200]);

    const many = await Promise.all(Array.from({ length: 30 }, (_, i) => alice.send(roomId, { msgtype: 'm.text', body: `n${i}` })));
    expect(many.every((r) => r.status === 200)).toBe(true);
    expect(new Set(many.map((r) => r.body.event_id)).size).toBe(30);
    for (const r of many) expect((await alice.event(roomId, r.body.event_id)).status).toBe(200);
  });

  it('enforces events_default and per-type levels', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat', power_level_content_override: { events: { 'org.example.loud': 20 } } });
    await bob.joinById(roomId);
    await bob.sendOk(roomId, 'hi');
    expectError(await bob.send(roomId, { x: 1 }, 'org.example.loud'), 403, 'M_FORBIDDEN');
    expect((await alice.send(roomId, { x: 1 }, 'org.example.loud')).status).toBe(200);

    const pl = (await alice.getState(roomId, 'm.room.power_levels')).body;
    expect((await alice.putState(roomId, 'm.room.power_levels', '', { ...pl, events_default: 10 })).status).toBe(200);
    expectError(await bob.send(roomId, { msgtype: 'm.text', body: 'muted' }), 403, 'M_FORBIDDEN');
    // Bob may not raise himself.
    expectError(await bob.putState(roomId, 'm.room.power_levels', '', { ...pl, users: { ...pl.users, [bob.userId]: 100 } }), 403, 'M_FORBIDDEN');
    expect((await alice.putState(roomId, 'm.room.power_levels', '', { ...pl, users: { ...pl.users, [bob.userId]: 10 } })).status).toBe(200);
    await bob.sendOk(roomId, 'unmuted');
  });

  it('refuses events over 64 KiB and, from v6, non-canonical numbers', async () => {
    const roomId = await alice.createRoomOk({ room_version: '12' });
    expectError(await alice.send(roomId, { body: 'x'.repeat(70_000) }), 413, 'M_TOO_LARGE');
    expectError(await alice.send(roomId, { body: 'x', value: 1.5 }), 400, 'M_BAD_JSON');
    const v1 = await alice.createRoomOk({ room_version: '1' });
    expect((await alice.send(v1, { body: 'x', value: 1.5 })).status).toBe(200);
    expectError(await alice.send(roomId, { body: 'x' }, 'x'.repeat(300)), 413, 'M_TOO_LARGE');
  });

  it('unknown rooms are forbidden', async () => {
    expectError(await alice.send('!nope:localhost', { body: 'x' }), 403, 'M_FORBIDDEN');
  });
});

/**
 * GET .../state/{type}/{key}?format=event, asked through the homeserver's dispatch: the spec's
 * response schema for it is `oneOf: [object, state event]`, which a full event matches twice,
 * so no response could pass the OpenAPI check (a spec bug, not ours).
 */
async function stateEvent(roomId: string, type: string, stateKey = ''): Promise<JsonObject> {
  const res = await dispatchGet(`${CS}/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, { format: 'event' });
  expect(res.status).toBe(200);
  return res.body as JsonObject;
}

/** A GET straight through dispatch, for paths the OpenAPI document cannot check (see above). */
function dispatchGet(path: string, query: Record<string, string> = {}) {
  return server.homeserver.dispatch({
    method: 'GET',
    path,
    query: new URLSearchParams(query),
    body: undefined,
    accessToken: alice.session.accessToken,
    clientIp: '127.0.0.1',
    transport: 'http',
    signal: new AbortController().signal,
  });
}

describe('state', () => {
  it('put and get, with format=event, prev_content and replaces_state', async () => {
    const roomId = await alice.createRoomOk({ room_version: '11', name: 'One' });
    const first = await stateEvent(roomId, 'm.room.name');
    const put = await alice.putState(roomId, 'm.room.name', '', { name: 'Two' });
    expect(put.status).toBe(200);
    expect((await alice.getState(roomId, 'm.room.name')).body).toEqual({ name: 'Two' });
    const event = await stateEvent(roomId, 'm.room.name');
    expect(event).toMatchObject({
      event_id: put.body.event_id,
      type: 'm.room.name',
      state_key: '',
      sender: alice.userId,
      content: { name: 'Two' },
      unsigned: { replaces_state: first.event_id, prev_content: { name: 'One' } },
    });
    // The same content again by the same sender is not a new event.
    expect((await alice.putState(roomId, 'm.room.name', '', { name: 'Two' })).body.event_id).toBe(put.body.event_id);
    // The trailing slash is optional for the empty state key.
    // (Not a path the spec lists, so it goes through dispatch unchecked.)
    const noSlash = await dispatchGet(`${CS}/rooms/${enc(roomId)}/state/m.room.name`);
    expect(noSlash).toMatchObject({ status: 200, body: { name: 'Two' } });
  });

  it('custom state keys, missing state, and the full state', async () => {
    const roomId = await alice.createRoomOk({});
    expect((await alice.putState(roomId, 'org.example.setting', 'color', { value: 'blue' })).status).toBe(200);
    expect((await alice.getState(roomId, 'org.example.setting', 'color')).body).toEqual({ value: 'blue' });
    expectError(await alice.getState(roomId, 'org.example.setting', 'size'), 404, 'M_NOT_FOUND');
    const all = await alice.allState(roomId);
    expect(all.status).toBe(200);
    const keys = (all.body as { type: string; state_key: string }[]).map((e) => `${e.type}|${e.state_key}`).sort();
    expect(keys).toEqual(
      [
        'm.room.create|',
        `m.room.member|${alice.userId}`,
        'm.room.power_levels|',
        'm.room.join_rules|',
        'm.room.history_visibility|',
        'm.room.guest_access|',
        'org.example.setting|color',
      ].sort(),
    );
  });

  it('state keys that are user IDs belong to those users', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat', power_level_content_override: { state_default: 0 } });
    await bob.joinById(roomId);
    expect((await bob.putState(roomId, 'org.example.status', bob.userId, { s: 1 })).status).toBe(200);
    expectError(await bob.putState(roomId, 'org.example.status', alice.userId, { s: 1 }), 403, 'M_FORBIDDEN');
  });

  it('state_default applies to state events', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat' });
    await bob.joinById(roomId);
    expectError(await bob.putState(roomId, 'm.room.topic', '', { topic: 'mine' }), 403, 'M_FORBIDDEN');
    expectError(await bob.putState(roomId, 'm.room.name', '', { name: 'mine' }), 403, 'M_FORBIDDEN');
    expect((await alice.putState(roomId, 'm.room.topic', '', { topic: 'ours' })).status).toBe(200);
  });
});

describe('event by ID and history visibility', () => {
  it('shows events only to those who may see them', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'joined' } }] });
    const before = await alice.sendOk(roomId, 'before bob');
    await bob.joinById(roomId);
    const after = await alice.sendOk(roomId, 'after bob');
    expect((await bob.event(roomId, after)).status).toBe(200);
    expectError(await bob.event(roomId, before), 404, 'M_NOT_FOUND');
    expectError(await alice.event(roomId, '$doesnotexist'), 404, 'M_NOT_FOUND');
    // An event asked for under another room is not found.
    const other = await alice.createRoomOk({});
    expectError(await alice.event(other, after), 404, 'M_NOT_FOUND');
  });

  it('shared history is visible to members who joined later', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat' });
    const before = await alice.sendOk(roomId, 'early');
    expectError(await bob.event(roomId, before), 404, 'M_NOT_FOUND');
    await bob.joinById(roomId);
    expect((await bob.event(roomId, before)).body.content.body).toBe('early');
  });
});
