// End-to-end encryption keys across two real Lattice servers federating over TLS: bob@hs2 queries
// and claims alice@hs1's keys through user/keys/query and user/keys/claim; once they share a room,
// alice's new devices, key uploads and cross-signing keys reach hs2 as m.device_list_update and
// m.signing_key_update EDUs, bob's sync lists alice in device_lists.changed, and hs2 answers key
// queries for her from what it tracks, even while hs1 is down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { CS, login, specValidator } from '../support/client.js';
import type { RoomClient } from '../rooms/helpers.js';
import { TestCrossSigning, TestDevice } from '../e2ee/e2ee-support.js';
import { Cluster, waitFor, waitForMembership } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test
let bob: RoomClient; // hs2.test
let aliceDevice: TestDevice;
const aliceCs = () => new TestCrossSigning(alice.userId);

beforeAll(async () => {
  cluster = await Cluster.start(2);
  alice = await cluster.user(0, 'alice');
  bob = await cluster.user(1, 'bob');
  aliceDevice = new TestDevice(alice.userId, alice.session.deviceId);
  const res = await alice.request('POST', `${CS}/keys/upload`, {
    device_keys: aliceDevice.deviceKeys(),
    one_time_keys: aliceDevice.oneTimeKeys(2),
    fallback_keys: aliceDevice.fallbackKey('FB'),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}, 60_000);

afterAll(() => cluster?.stop());

/** A federation request from hs2 to hs1 (X-Matrix signed), its answer checked against the spec. */
async function hs2Asks(method: 'GET' | 'POST', path: string, body?: JsonObject): Promise<JsonObject> {
  const answer = await cluster.server(1).homeserver.services.federation.client.request('hs1.test', { method, path, ...(body ? { body } : {}) });
  specValidator().check(method, path, 200, answer);
  return answer;
}

async function bobSyncSince(since: string): Promise<JsonObject> {
  const res = await bob.request('GET', `${CS}/sync?since=${encodeURIComponent(since)}&timeout=1000`);
  expect(res.status).toBe(200);
  return res.body as JsonObject;
}

async function bobToken(): Promise<string> {
  return (await bob.request('GET', `${CS}/sync`)).body.next_batch as string;
}

/** Polls bob's incremental syncs from `since` until alice is in device_lists.changed. */
function waitForAliceChanged(since: string): Promise<true> {
  return waitFor('alice in device_lists.changed on hs2', async () => {
    const body = await bobSyncSince(since);
    const lists = body['device_lists'] as { changed?: string[] } | undefined;
    return lists?.changed?.includes(alice.userId) ? true : undefined;
  });
}

describe('keys of a user of another server', () => {
  it('queries them through user/keys/query, with failures for a server that cannot be reached', async () => {
    const res = await bob.request('POST', `${CS}/keys/query`, { device_keys: { [alice.userId]: [], '@carol:hs3.test': [] }, timeout: 5000 });
    expect(res.status).toBe(200);
    expect(res.body.device_keys[alice.userId]).toEqual({ [alice.session.deviceId]: aliceDevice.deviceKeys() });
    expect(Object.keys(res.body.failures)).toEqual(['hs3.test']);
  });

  it('claims one-time keys through user/keys/claim, then the fallback key', async () => {
    const ask = { one_time_keys: { [alice.userId]: { [alice.session.deviceId]: 'signed_curve25519' } } };
    const claimed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await bob.request('POST', `${CS}/keys/claim`, ask);
      expect(res.status).toBe(200);
      expect(res.body.failures).toEqual({});
      claimed.push(...Object.keys(res.body.one_time_keys[alice.userId][alice.session.deviceId]));
    }
    expect(claimed).toEqual(['signed_curve25519:AAAAAQ', 'signed_curve25519:AAAAAg', 'signed_curve25519:FB']);
  });

  it('answers user/devices, user/keys/query and user/keys/claim as the spec shapes them', async () => {
    const devices = await hs2Asks('GET', `/_matrix/federation/v1/user/devices/${encodeURIComponent(alice.userId)}`);
    expect(devices['user_id']).toBe(alice.userId);
    expect(devices['stream_id']).toBeGreaterThan(0);
    expect(devices['devices']).toEqual([{ device_id: alice.session.deviceId, keys: aliceDevice.deviceKeys() }]);
    const keys = await hs2Asks('POST', '/_matrix/federation/v1/user/keys/query', { device_keys: { [alice.userId]: [] } });
    expect(Object.keys((keys['device_keys'] as JsonObject)[alice.userId] as JsonObject)).toEqual([alice.session.deviceId]);
    const claimed = await hs2Asks('POST', '/_matrix/federation/v1/user/keys/claim', { one_time_keys: { [alice.userId]: { [alice.session.deviceId]: 'signed_curve25519' } } });
    expect(Object.keys(((claimed['one_time_keys'] as JsonObject)[alice.userId] as JsonObject)[alice.session.deviceId] as JsonObject)).toEqual(['signed_curve25519:FB']);
  });
});

describe('device lists across servers', () => {
  let roomId: string;
  let cs: TestCrossSigning;

  beforeAll(async () => {
    roomId = await alice.createRoomOk({ preset: 'public_chat' });
    const joined = await bob.request('POST', `${CS}/join/${encodeURIComponent(roomId)}?via=hs1.test`, {});
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    await waitForMembership(alice, roomId, bob.userId, 'join');
    cs = aliceCs();
  });

  it("alice's new device and its keys show in bob's device_lists.changed, and hs2 tracks her list", async () => {
    const since = await bobToken();
    const laptop = await login(alice.client, alice.userId, 'password', { initial_device_display_name: 'laptop' });
    expect(laptop.status).toBe(200);
    const laptopDevice = new TestDevice(alice.userId, laptop.body.device_id as string);
    const up = await alice.client.post(`${CS}/keys/upload`, { device_keys: laptopDevice.deviceKeys() }, { token: laptop.body.access_token as string });
    expect(up.status).toBe(200);
    await waitForAliceChanged(since);

    const expected = {
      [alice.session.deviceId]: aliceDevice.deviceKeys(),
      [laptopDevice.deviceId]: { ...laptopDevice.deviceKeys(), unsigned: { device_display_name: 'laptop' } },
    };
    await waitFor('hs2 to hold both of alice devices', async () => {
      const res = await bob.request('POST', `${CS}/keys/query`, { device_keys: { [alice.userId]: [] } });
      expect(res.body.device_keys[alice.userId]).toEqual(expected);
      // Answered is not yet tracked: a resync may still be on its way.
      return cluster.server(1).homeserver.services.e2e.remoteDeviceLists.cachedDevices(alice.userId)?.length === 2 ? true : undefined;
    });
    // Tracked: hs2 answers from what it holds while hs1 is down.
    await cluster.stopNode(0);
    try {
      const res = await bob.request('POST', `${CS}/keys/query`, { device_keys: { [alice.userId]: [laptopDevice.deviceId] }, timeout: 2000 });
      expect(res.body.failures).toEqual({});
      expect(res.body.device_keys[alice.userId]).toEqual({ [laptopDevice.deviceId]: expected[laptopDevice.deviceId] });
    } finally {
      await cluster.restartNode(0);
      alice = cluster.rebind(0, alice);
    }

    // Deleting the laptop reaches hs2 as well.
    const before = await bobToken();
    const logout = await alice.client.post(`${CS}/logout`, {}, { token: laptop.body.access_token as string });
    expect(logout.status).toBe(200);
    await waitForAliceChanged(before);
    await waitFor('the laptop to be gone on hs2', async () => {
      const res = await bob.request('POST', `${CS}/keys/query`, { device_keys: { [alice.userId]: [] } });
      return Object.keys(res.body.device_keys[alice.userId] ?? {}).join() === alice.session.deviceId ? true : undefined;
    });
  });

  it("alice's cross-signing keys reach hs2 (m.signing_key_update) and show in bob's query", async () => {
    const since = await bobToken();
    const res = await alice.request('POST', `${CS}/keys/device_signing/upload`, cs.all());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await waitForAliceChanged(since);
    await waitFor('alice master key on hs2', async () => {
      const q = await bob.request('POST', `${CS}/keys/query`, { device_keys: { [alice.userId]: [] } });
      expect(q.body.master_keys[alice.userId]).toEqual(cs.masterKey());
      return true;
    });
    // Held by hs2 itself: visible with hs1 down, user-signing key never leaves hs1.
    await cluster.stopNode(0);
    try {
      const q = await bob.request('POST', `${CS}/keys/query`, { device_keys: { [alice.userId]: [] }, timeout: 2000 });
      expect(q.body.master_keys[alice.userId]).toEqual(cs.masterKey());
      expect(q.body.self_signing_keys[alice.userId]).toEqual(cs.selfSigningKey());
      expect(q.body.user_signing_keys).toEqual({});
    } finally {
      await cluster.restartNode(0);
      alice = cluster.rebind(0, alice);
    }
  });

  it("bob signs alice's master key with his user-signing key; only bob sees the signature", async () => {
    const bobCs = new TestCrossSigning(bob.userId);
    expect((await bob.request('POST', `${CS}/keys/device_signing/upload`, bobCs.all())).status).toBe(200);
    const res = await bob.request('POST', `${CS}/keys/signatures/upload`, { [alice.userId]: { [cs.master.pub]: bobCs.signUser(cs.masterKey()) } });
    expect(res.body.failures).toEqual({});
    const q = await bob.request('POST', `${CS}/keys/query`, { device_keys: { [alice.userId]: [] } });
    expect(Object.keys(q.body.master_keys[alice.userId].signatures[bob.userId])).toEqual([`ed25519:${bobCs.userSigning.pub}`]);
    // Bob's cross-signing keys reached hs1; alice's view of her own master key has no signature of bob's.
    const own = await alice.request('POST', `${CS}/keys/query`, { device_keys: { [alice.userId]: [], [bob.userId]: [] } });
    expect(own.body.master_keys[alice.userId].signatures?.[bob.userId]).toBeUndefined();
    await waitFor('bob master key on hs1', async () => {
      const view = await alice.request('POST', `${CS}/keys/query`, { device_keys: { [bob.userId]: [] } });
      expect(view.body.master_keys[bob.userId]).toEqual(bobCs.masterKey());
      return true;
    });
  });
});

