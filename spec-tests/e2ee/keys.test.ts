// End-to-end encryption keys on one server, through real HTTP: /keys/upload, /keys/query,
// /keys/claim (one-time keys, then the fallback key), /keys/changes, key counts and device lists
// in /sync, cross-signing keys (with and without user-interactive auth) and signatures. Every
// JSON response is checked against the spec's OpenAPI schema by the TestClient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { CS, login, passwordAuth, registerUser, type Session, type TestClient, type TestResponse } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createRoom, join, leave, sync } from '../sync/helpers.js';
import { sign, TestCrossSigning, TestDevice, uiaChallenge } from './e2ee-support.js';

const PASSWORD = 'correct horse battery staple';

let server: TestServer;
let client: TestClient;

beforeAll(async () => {
  server = await startTestServer();
  client = server.client;
});

afterAll(async () => {
  await server?.stop();
});

let userCounter = 0;
async function newUser(name: string): Promise<Session> {
  return registerUser(client, `${name}${++userCounter}`, PASSWORD);
}

function post(s: Session, path: string, body: unknown): Promise<TestResponse> {
  return client.post(`${CS}${path}`, body, { token: s.accessToken });
}

async function upload(s: Session, body: JsonObject): Promise<TestResponse> {
  const res = await post(s, '/keys/upload', body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res;
}

async function query(s: Session, deviceKeys: Record<string, string[]>): Promise<TestResponse> {
  const res = await post(s, '/keys/query', { device_keys: deviceKeys });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res;
}

async function claim(s: Session, oneTimeKeys: Record<string, Record<string, string>>): Promise<Record<string, Record<string, Record<string, JsonObject>>>> {
  const res = await post(s, '/keys/claim', { one_time_keys: oneTimeKeys });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.one_time_keys;
}

async function syncToken(s: Session): Promise<string> {
  return (await sync(client, s)).body.next_batch as string;
}

/** Two users sharing a room. */
async function roomMates(): Promise<{ alice: Session; bob: Session; roomId: string }> {
  const alice = await newUser('alice');
  const bob = await newUser('bob');
  const roomId = await createRoom(client, alice, { preset: 'public_chat' });
  await join(client, bob, roomId);
  return { alice, bob, roomId };
}

describe('uploading, querying and claiming keys', () => {
  it('stores device keys, answers one-time key counts and serves the keys with the display name', async () => {
    const alice = await newUser('alice');
    const device = new TestDevice(alice.userId, alice.deviceId);
    const res = await upload(alice, { device_keys: device.deviceKeys(), one_time_keys: device.oneTimeKeys(5), fallback_keys: device.fallbackKey('FB1') });
    expect(res.body).toEqual({ one_time_key_counts: { signed_curve25519: 5 } });

    await client.put(`${CS}/devices/${alice.deviceId}`, { display_name: "Alice's laptop" }, { token: alice.accessToken });
    const bob = await newUser('bob');
    const q = await query(bob, { [alice.userId]: [], '@nobody:localhost': [] });
    expect(q.body.device_keys).toEqual({
      [alice.userId]: { [alice.deviceId]: { ...device.deviceKeys(), unsigned: { device_display_name: "Alice's laptop" } } },
    });
    expect(q.body.failures).toEqual({});
    // Asking for one device only; an unknown device is simply absent.
    const one = await query(bob, { [alice.userId]: ['NOPE'] });
    expect(one.body.device_keys).toEqual({ [alice.userId]: {} });
  });

  it('hands out one-time keys oldest first, each once, then the fallback key, which sync reports used', async () => {
    const alice = await newUser('alice');
    const bob = await newUser('bob');
    const device = new TestDevice(alice.userId, alice.deviceId);
    const first = device.oneTimeKeys(2);
    await upload(alice, { device_keys: device.deviceKeys(), one_time_keys: first, fallback_keys: device.fallbackKey('FB1') });
    const second = device.oneTimeKeys(1);
    await upload(alice, { one_time_keys: second });

    const initial = await sync(client, alice);
    expect(initial.body.device_one_time_keys_count).toEqual({ signed_curve25519: 3 });
    expect(initial.body.device_unused_fallback_key_types).toEqual(['signed_curve25519']);

    const order = [...Object.entries(first), ...Object.entries(second)];
    for (const [keyId, key] of order) {
      expect(await claim(bob, { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } })).toEqual({ [alice.userId]: { [alice.deviceId]: { [keyId]: key } } });
    }
    const fallback = device.fallbackKey('FB1');
    const [fbId] = Object.keys(fallback);
    for (let i = 0; i < 2; i++) {
      const claimed = await claim(bob, { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } });
      expect(Object.keys(claimed[alice.userId]![alice.deviceId]!)).toEqual([fbId]);
      expect(claimed[alice.userId]![alice.deviceId]![fbId!]!['fallback']).toBe(true);
    }
    const after = await sync(client, alice);
    expect(after.body.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(after.body.device_unused_fallback_key_types).toEqual([]);

    // A new fallback key is unused again; an unknown algorithm or device gets nothing.
    await upload(alice, { fallback_keys: device.fallbackKey('FB2') });
    expect((await sync(client, alice)).body.device_unused_fallback_key_types).toEqual(['signed_curve25519']);
    expect(await claim(bob, { [alice.userId]: { [alice.deviceId]: 'curve25519', NODEVICE: 'signed_curve25519' } })).toEqual({});
  });

  it('keeps one-time key uploads idempotent and rejects a different key under a known ID, storing nothing of that request', async () => {
    const alice = await newUser('alice');
    const device = new TestDevice(alice.userId, alice.deviceId);
    const keys = device.oneTimeKeys(2);
    await upload(alice, { one_time_keys: keys });
    expect((await upload(alice, { one_time_keys: keys })).body.one_time_key_counts).toEqual({ signed_curve25519: 2 });
    const [firstId] = Object.keys(keys);
    const clash = { ...device.oneTimeKeys(3), [firstId!]: { key: 'different', signatures: {} } };
    const res = await post(alice, '/keys/upload', { one_time_keys: clash });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe('M_INVALID_PARAM');
    expect((await upload(alice, {})).body.one_time_key_counts).toEqual({ signed_curve25519: 2 });
  });

  it('rejects device keys of another user or device, malformed key names and objects (M_BAD_JSON)', async () => {
    const alice = await newUser('alice');
    const device = new TestDevice(alice.userId, alice.deviceId);
    const cases: JsonObject[] = [
      { device_keys: new TestDevice(alice.userId, 'OTHERDEVICE').deviceKeys() },
      { device_keys: new TestDevice('@mallory:localhost', alice.deviceId).deviceKeys() },
      { device_keys: { ...device.deviceKeys(), keys: { 'ed25519:X': 5 } } },
      { one_time_keys: { no_colon_here: 'abc' } },
      { one_time_keys: { 'signed_curve25519:AAAA': { key: 5 } } },
      { fallback_keys: { 'a:b:c': 'abc' } },
      { one_time_keys: 'not an object' },
    ];
    for (const body of cases) {
      const res = await post(alice, '/keys/upload', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errcode, JSON.stringify(body)).toBe('M_BAD_JSON');
    }
    const tooMany = await post(alice, '/keys/upload', { one_time_keys: device.oneTimeKeys(101) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errcode).toBe('M_INVALID_PARAM');
    // Nothing of the rejected requests was kept.
    expect((await query(alice, { [alice.userId]: [] })).body.device_keys).toEqual({ [alice.userId]: {} });
    expect((await upload(alice, {})).body.one_time_key_counts).toEqual({ signed_curve25519: 0 });
  });

  it('serves the r0 paths of MSC3079 path enums g, h, i', async () => {
    const alice = await newUser('alice');
    const device = new TestDevice(alice.userId, alice.deviceId);
    const r0 = '/_matrix/client/r0';
    const up = await client.post(`${r0}/keys/upload`, { device_keys: device.deviceKeys(), one_time_keys: device.oneTimeKeys(1) }, { token: alice.accessToken });
    expect(up.body).toEqual({ one_time_key_counts: { signed_curve25519: 1 } });
    const q = await client.post(`${r0}/keys/query`, { device_keys: { [alice.userId]: [] } }, { token: alice.accessToken });
    expect(Object.keys(q.body.device_keys[alice.userId])).toEqual([alice.deviceId]);
    const c = await client.post(`${r0}/keys/claim`, { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } }, { token: alice.accessToken });
    expect(Object.keys(c.body.one_time_keys[alice.userId][alice.deviceId])).toHaveLength(1);
  });

  it('a deleted device takes its keys along', async () => {
    const alice = await newUser('alice');
    const second = await login(client, alice.userId, PASSWORD);
    const other: Session = { userId: alice.userId, accessToken: second.body.access_token, deviceId: second.body.device_id };
    const device = new TestDevice(alice.userId, other.deviceId);
    await upload(other, { device_keys: device.deviceKeys(), one_time_keys: device.oneTimeKeys(3) });
    expect(Object.keys((await query(alice, { [alice.userId]: [] })).body.device_keys[alice.userId])).toEqual([other.deviceId]);
    const logout = await client.post(`${CS}/logout`, {}, { token: other.accessToken });
    expect(logout.status).toBe(200);
    expect((await query(alice, { [alice.userId]: [] })).body.device_keys).toEqual({ [alice.userId]: {} });
    expect(await claim(alice, { [alice.userId]: { [other.deviceId]: 'signed_curve25519' } })).toEqual({});
  });
});

describe('device lists', () => {
  it("shows a room-mate's new device and key upload in device_lists.changed, and only to room-mates", async () => {
    const { alice, bob } = await roomMates();
    const stranger = await newUser('carol');
    const since = await syncToken(alice);
    const strangerSince = await syncToken(stranger);

    const bobLaptop = await login(client, bob.userId, PASSWORD);
    expect(bobLaptop.status).toBe(200);
    const changed = await sync(client, alice, { since, timeout: 5000 });
    expect(changed.body.device_lists).toEqual({ changed: [bob.userId], left: [] });
    expect((await sync(client, stranger, { since: strangerSince })).body.device_lists).toBeUndefined();

    // Nothing new: no device_lists at all.
    const quiet = await sync(client, alice, { since: changed.body.next_batch });
    expect(quiet.body.device_lists).toBeUndefined();

    const device = new TestDevice(bob.userId, bob.deviceId);
    await upload(bob, { device_keys: device.deviceKeys() });
    const afterUpload = await sync(client, alice, { since: changed.body.next_batch, timeout: 5000 });
    expect(afterUpload.body.device_lists.changed).toEqual([bob.userId]);
    // The same keys again change nothing; one-time keys are not device-list changes.
    await upload(bob, { device_keys: device.deviceKeys(), one_time_keys: device.oneTimeKeys(2) });
    expect((await sync(client, alice, { since: afterUpload.body.next_batch })).body.device_lists).toBeUndefined();
  });

  it('wakes a waiting sync when a room-mate renames or deletes a device', async () => {
    const { alice, bob } = await roomMates();
    const since = await syncToken(alice);
    const started = Date.now();
    const waiting = sync(client, alice, { since, timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 200));
    await client.put(`${CS}/devices/${bob.deviceId}`, { display_name: 'renamed' }, { token: bob.accessToken });
    const woken = await waiting;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(woken.body.device_lists.changed).toEqual([bob.userId]);

    const next = sync(client, alice, { since: woken.body.next_batch, timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 200));
    await client.post(`${CS}/logout`, {}, { token: bob.accessToken });
    expect((await next).body.device_lists.changed).toEqual([bob.userId]);
  });

  it('lists members of a newly joined room and new members as changed, and users left behind as left', async () => {
    const { alice, bob, roomId } = await roomMates();
    const dave = await newUser('dave');
    const since = await syncToken(alice);
    const daveSince = await syncToken(dave);

    await join(client, dave, roomId);
    expect((await sync(client, alice, { since })).body.device_lists).toEqual({ changed: [dave.userId], left: [] });
    const daveView = await sync(client, dave, { since: daveSince });
    expect(daveView.body.device_lists.changed.sort()).toEqual([alice.userId, bob.userId].sort());

    const beforeLeave = await syncToken(alice);
    await leave(client, bob, roomId);
    expect((await sync(client, alice, { since: beforeLeave })).body.device_lists).toEqual({ changed: [], left: [bob.userId] });

    // Leaving yourself: everyone you no longer share a room with.
    const daveBefore = await syncToken(dave);
    await leave(client, dave, roomId);
    expect((await sync(client, dave, { since: daveBefore })).body.device_lists).toEqual({ changed: [], left: [alice.userId] });
  });

  it('does not list a room-mate as left while another room is still shared', async () => {
    const { alice, bob, roomId } = await roomMates();
    const second = await createRoom(client, alice, { preset: 'public_chat' });
    await join(client, bob, second);
    const since = await syncToken(alice);
    await leave(client, bob, roomId);
    expect((await sync(client, alice, { since })).body.device_lists).toBeUndefined();
  });

  it('answers /keys/changes between two sync tokens, and rejects bad tokens', async () => {
    const { alice, bob } = await roomMates();
    const from = await syncToken(alice);
    await upload(bob, { device_keys: new TestDevice(bob.userId, bob.deviceId).deviceKeys() });
    const to = await syncToken(alice);
    const later = await login(client, bob.userId, PASSWORD);
    expect(later.status).toBe(200);

    const res = await client.get(`${CS}/keys/changes`, { token: alice.accessToken, query: { from, to } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ changed: [bob.userId], left: [] });
    const none = await client.get(`${CS}/keys/changes`, { token: alice.accessToken, query: { from: to, to } });
    expect(none.body).toEqual({ changed: [], left: [] });
    const r0 = await client.get('/_matrix/client/r0/keys/changes', { token: alice.accessToken, query: { from: to, to: await syncToken(alice) } });
    expect(r0.body).toEqual({ changed: [bob.userId], left: [] });

    const bad = await client.get(`${CS}/keys/changes`, { token: alice.accessToken, query: { from: 'garbage', to } });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
    const missing = await client.get(`${CS}/keys/changes`, { token: alice.accessToken, query: { to } });
    expect(missing.status).toBe(400);
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
  });

  it('leaves key counts out of the sync of a device that never uploaded keys', async () => {
    const alice = await newUser('alice');
    const body = (await sync(client, alice)).body;
    expect(body).not.toHaveProperty('device_one_time_keys_count');
    expect(body).not.toHaveProperty('device_unused_fallback_key_types');
    await upload(alice, { device_keys: new TestDevice(alice.userId, alice.deviceId).deviceKeys() });
    // Element expects signed_curve25519 even at zero.
    expect((await sync(client, alice)).body.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
  });
});

describe('cross-signing', () => {
  it('takes the first keys without UIA, the same keys again as a no-op, and new keys only with the password', async () => {
    const { alice, bob } = await roomMates();
    const cs = new TestCrossSigning(alice.userId);
    const since = await syncToken(bob);
    const first = await post(alice, '/keys/device_signing/upload', cs.all());
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect((await sync(client, bob, { since })).body.device_lists.changed).toEqual([alice.userId]);
    expect((await post(alice, '/keys/device_signing/upload', cs.all())).status).toBe(200);

    const own = await query(alice, { [alice.userId]: [] });
    expect(own.body.master_keys[alice.userId]).toEqual(cs.masterKey());
    expect(own.body.self_signing_keys[alice.userId]).toEqual(cs.selfSigningKey());
    expect(own.body.user_signing_keys[alice.userId]).toEqual(cs.userSigningKey());
    const seenByBob = await query(bob, { [alice.userId]: [] });
    expect(seenByBob.body.master_keys[alice.userId]).toEqual(cs.masterKey());
    expect(seenByBob.body.user_signing_keys).toEqual({});

    const replacement = new TestCrossSigning(alice.userId);
    const uploadPath = `${CS}/keys/device_signing/upload`;
    const challenge = await uiaChallenge(client.baseUrl, uploadPath, alice.accessToken, replacement.all());
    expect(challenge.status).toBe(401);
    expect(challenge.body['flows']).toEqual([{ stages: ['m.login.password'] }]);
    const session = challenge.body['session'] as string;
    const wrong = await uiaChallenge(client.baseUrl, uploadPath, alice.accessToken, { ...replacement.all(), auth: passwordAuth(alice.userId, 'wrong', session) });
    expect(wrong.status).toBe(401);
    expect(wrong.body['errcode']).toBe('M_FORBIDDEN');
    expect((await query(alice, { [alice.userId]: [] })).body.master_keys[alice.userId]).toEqual(cs.masterKey());
    const done = await post(alice, '/keys/device_signing/upload', { ...replacement.all(), auth: passwordAuth(alice.userId, PASSWORD, session) });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect((await query(bob, { [alice.userId]: [] })).body.master_keys[alice.userId]).toEqual(replacement.masterKey());
  });

  it('rejects keys without a master key, with bad signatures, of another user, or named like a device', async () => {
    const alice = await newUser('alice');
    const cs = new TestCrossSigning(alice.userId);
    const noMaster = await post(alice, '/keys/device_signing/upload', { self_signing_key: cs.selfSigningKey() });
    expect([noMaster.status, noMaster.body.errcode]).toEqual([400, 'M_MISSING_PARAM']);

    const forged = new TestCrossSigning(alice.userId);
    const badSignature = await post(alice, '/keys/device_signing/upload', { master_key: cs.masterKey(), self_signing_key: forged.selfSigningKey() });
    expect([badSignature.status, badSignature.body.errcode]).toEqual([400, 'M_INVALID_SIGNATURE']);

    const otherUser = await post(alice, '/keys/device_signing/upload', { master_key: new TestCrossSigning('@bob:localhost').masterKey() });
    expect([otherUser.status, otherUser.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    const twoKeys = await post(alice, '/keys/device_signing/upload', { master_key: { ...cs.masterKey(), keys: { 'ed25519:a': 'a', 'ed25519:b': 'b' } } });
    expect([twoKeys.status, twoKeys.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);

    // A device whose ID is the master key's public key.
    const clash = new TestCrossSigning(alice.userId);
    const safeId = clash.master.pub;
    const device = await login(client, alice.userId, PASSWORD, { device_id: safeId });
    expect(device.status).toBe(200);
    const inUse = await post(alice, '/keys/device_signing/upload', { master_key: clash.masterKey() });
    expect([inUse.status, inUse.body.errcode]).toEqual([403, 'M_FORBIDDEN']);

    // None of it was stored: the first real upload still needs no UIA.
    expect((await query(alice, { [alice.userId]: [] })).body.master_keys).toEqual({});
    expect((await post(alice, '/keys/device_signing/upload', cs.all())).status).toBe(200);
  });

  it('stores signatures of devices and master keys, reports failures per key, shows user-signing signatures to the signer only', async () => {
    const { alice, bob } = await roomMates();
    const aliceDevice = new TestDevice(alice.userId, alice.deviceId);
    const bobDevice = new TestDevice(bob.userId, bob.deviceId);
    await upload(alice, { device_keys: aliceDevice.deviceKeys() });
    await upload(bob, { device_keys: bobDevice.deviceKeys() });
    const aliceCs = new TestCrossSigning(alice.userId);
    const bobCs = new TestCrossSigning(bob.userId);
    expect((await post(alice, '/keys/device_signing/upload', aliceCs.all())).status).toBe(200);
    expect((await post(bob, '/keys/device_signing/upload', bobCs.all())).status).toBe(200);
    const bobSince = await syncToken(bob);
    const aliceSince = await syncToken(alice);

    const signedDevice = aliceCs.signDevice(aliceDevice.deviceKeys());
    const signedBob = aliceCs.signUser(bobCs.masterKey());
    const forged = new TestCrossSigning(alice.userId).signDevice(aliceDevice.deviceKeys());
    const res = await post(alice, '/keys/signatures/upload', {
      [alice.userId]: { [alice.deviceId]: signedDevice, UNKNOWNDEVICE: aliceCs.signDevice(new TestDevice(alice.userId, 'UNKNOWNDEVICE').deviceKeys()) },
      [bob.userId]: { [bobCs.master.pub]: signedBob, NOTAKEY: signedBob },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.failures).toEqual({
      [alice.userId]: { UNKNOWNDEVICE: { errcode: 'M_NOT_FOUND', error: 'Unknown device' } },
      [bob.userId]: { NOTAKEY: { errcode: 'M_NOT_FOUND', error: 'Unknown device' } },
    });
    const badSig = await post(alice, '/keys/signatures/upload', { [alice.userId]: { [alice.deviceId]: forged } });
    expect(badSig.body.failures[alice.userId][alice.deviceId].errcode).toBe('M_INVALID_SIGNATURE');
    const changedKey = await post(alice, '/keys/signatures/upload', {
      [alice.userId]: { [alice.deviceId]: aliceCs.signDevice({ ...aliceDevice.deviceKeys(), algorithms: ['other'] }) },
    });
    expect(changedKey.body.failures[alice.userId][alice.deviceId].errcode).toBe('M_INVALID_PARAM');

    // The device signature is public; bob sees alice's device as changed.
    const selfSigningId = `ed25519:${aliceCs.selfSigning.pub}`;
    const bobView = await query(bob, { [alice.userId]: [], [bob.userId]: [] });
    expect(bobView.body.device_keys[alice.userId][alice.deviceId].signatures[alice.userId][selfSigningId]).toBe(
      (signedDevice['signatures'] as Record<string, Record<string, string>>)[alice.userId]![selfSigningId],
    );
    // Alice's signature of bob's master key: alice sees it, bob does not.
    const userSigningId = `ed25519:${aliceCs.userSigning.pub}`;
    expect(bobView.body.master_keys[bob.userId].signatures?.[alice.userId]).toBeUndefined();
    const aliceView = await query(alice, { [bob.userId]: [] });
    expect(aliceView.body.master_keys[bob.userId].signatures[alice.userId][userSigningId]).toBeTypeOf('string');

    expect((await sync(client, bob, { since: bobSince })).body.device_lists.changed).toEqual([alice.userId]);
    expect((await sync(client, alice, { since: aliceSince })).body.device_lists.changed.sort()).toEqual([alice.userId, bob.userId].sort());
  });

  it('accepts a signature of the master key by one of its devices', async () => {
    const { alice, bob } = await roomMates();
    const device = new TestDevice(alice.userId, alice.deviceId);
    await upload(alice, { device_keys: device.deviceKeys() });
    const cs = new TestCrossSigning(alice.userId);
    expect((await post(alice, '/keys/device_signing/upload', cs.all())).status).toBe(200);
    const signed = { ...cs.masterKey(), signatures: { [alice.userId]: {} } };
    const bySelf = { ...cs.masterKey() };
    const deviceSigned = sign(bySelf, alice.userId, device.signingKeyId, device.signing);
    const res = await post(alice, '/keys/signatures/upload', { [alice.userId]: { [cs.master.pub]: deviceSigned } });
    expect(res.body.failures).toEqual({});
    const seen = await query(bob, { [alice.userId]: [] });
    expect(Object.keys(seen.body.master_keys[alice.userId].signatures[alice.userId])).toEqual([device.signingKeyId]);
    const unsigned = await post(alice, '/keys/signatures/upload', { [alice.userId]: { [cs.master.pub]: signed } });
    expect(unsigned.body.failures).toEqual({});
    const bogus = await post(alice, '/keys/signatures/upload', { [alice.userId]: { [cs.master.pub]: { ...cs.masterKey(), signatures: { [alice.userId]: { 'ed25519:NODEVICE': 'x'.repeat(86) } } } } });
    expect(bogus.body.failures[alice.userId][cs.master.pub].errcode).toBe('M_INVALID_SIGNATURE');
    const notObject = await post(alice, '/keys/signatures/upload', { [alice.userId]: { [cs.master.pub]: 'string' } });
    expect([notObject.status, notObject.body.errcode]).toEqual([400, 'M_BAD_JSON']);
  });
});
