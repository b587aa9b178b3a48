// Send-to-device across two real Lattice servers (hs1.test on 127.0.0.1, hs2.test on 127.0.0.2,
// HTTPS with a test CA): PUT /sendToDevice for a remote user becomes an m.direct_to_device EDU
// through the outbound queue, the receiving server delivers it into its users' device inboxes
// (`*` expanded there), and a resent EDU (same message_id, new transaction) is delivered once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { CS, login, registerUser, type Session, type TestClient, type TestResponse } from '../support/client.js';
import { sync } from '../sync/helpers.js';
import { Cluster, waitFor } from './support/cluster.js';

interface ToDeviceEvent {
  readonly sender: string;
  readonly type: string;
  readonly content: Record<string, unknown>;
}

let cluster: Cluster;
let hs1: TestClient;
let hs2: TestClient;
let alice: Session; // @alice:hs1.test
let bob: Session; // @bob:hs2.test, first device
let bob2: Session; // @bob:hs2.test, second device
let carl: Session; // @carl:hs2.test

beforeAll(async () => {
  cluster = await Cluster.start(2);
  hs1 = cluster.server(0).client;
  hs2 = cluster.server(1).client;
  alice = await registerUser(hs1, 'alice', 'pw-alice');
  bob = await registerUser(hs2, 'bob', 'pw-bob');
  const second = await login(hs2, 'bob', 'pw-bob', { device_id: 'BOB2' });
  expect(second.status).toBe(200);
  bob2 = { userId: bob.userId, accessToken: second.body.access_token, deviceId: 'BOB2' };
  carl = await registerUser(hs2, 'carl', 'pw-carl');
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

let txnCounter = 0;

async function sendToDevice(client: TestClient, from: Session, type: string, messages: JsonObject): Promise<void> {
  const res = await client.put(`${CS}/sendToDevice/${encodeURIComponent(type)}/fed-${Date.now()}-${++txnCounter}`, { messages }, { token: from.accessToken });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

function toDeviceOf(res: TestResponse, type: string): ToDeviceEvent[] {
  return ((res.body.to_device?.events as ToDeviceEvent[] | undefined) ?? []).filter((e) => e.type === type);
}

/** Polls the device's (unacknowledging, initial) sync until `count` messages of `type` are there. */
function waitForMessages(client: TestClient, session: Session, type: string, count: number): Promise<ToDeviceEvent[]> {
  return waitFor(`${count} × ${type} for ${session.userId}/${session.deviceId}`, async () => {
    const events = toDeviceOf(await sync(client, session), type);
    return events.length >= count ? events : undefined;
  });
}

describe('to-device over federation', () => {
  it('alice@hs1 reaches one device of bob@hs2, then every device with `*`, and carl in the same send', async () => {
    await sendToDevice(hs1, alice, 'org.example.one', { [bob.userId]: { [bob.deviceId]: { hello: 'bob' } } });
    await sendToDevice(hs1, alice, 'org.example.all', { [bob.userId]: { '*': { hello: 'every bob' } }, [carl.userId]: { '*': { hello: 'carl' } } });

    expect(await waitForMessages(hs2, bob, 'org.example.one', 1)).toEqual([{ sender: alice.userId, type: 'org.example.one', content: { hello: 'bob' } }]);
    expect(await waitForMessages(hs2, bob, 'org.example.all', 1)).toEqual([{ sender: alice.userId, type: 'org.example.all', content: { hello: 'every bob' } }]);
    expect(await waitForMessages(hs2, bob2, 'org.example.all', 1)).toEqual([{ sender: alice.userId, type: 'org.example.all', content: { hello: 'every bob' } }]);
    expect(await waitForMessages(hs2, carl, 'org.example.all', 1)).toEqual([{ sender: alice.userId, type: 'org.example.all', content: { hello: 'carl' } }]);
    // The message for bob's first device only did not reach the second.
    expect(toDeviceOf(await sync(hs2, bob2), 'org.example.one')).toEqual([]);
  });

  it('bob@hs2 reaches alice@hs1 (the other direction), and wakes her long-poll', async () => {
    const since = (await sync(hs1, alice)).body.next_batch as string;
    const polling = sync(hs1, alice, { since, timeout: 20_000 });
    await sendToDevice(hs2, bob, 'org.example.back', { [alice.userId]: { '*': { from: 'hs2' } } });
    const res = await polling;
    expect(toDeviceOf(res, 'org.example.back')).toEqual([{ sender: bob.userId, type: 'org.example.back', content: { from: 'hs2' } }]);
  });

  it('an EDU sent again under a new transaction ID (same message_id) is delivered once, even after it was read', async () => {
    const federation = cluster.server(0).homeserver.services.federation.client;
    const edu = {
      edu_type: 'm.direct_to_device',
      content: { sender: alice.userId, type: 'org.example.dup', message_id: `dup-${Date.now()}`, messages: { [bob.userId]: { [bob.deviceId]: { copy: 1 } } } },
    };
    const transmit = async (txnId: string): Promise<void> => {
      const answer = await federation.request('hs2.test', {
        method: 'PUT',
        path: `/_matrix/federation/v1/send/${txnId}`,
        body: { origin: 'hs1.test', origin_server_ts: Date.now(), pdus: [], edus: [edu] },
      });
      expect(answer).toEqual({ pdus: {} });
    };
    const before = (await sync(hs2, bob)).body.next_batch as string;
    await transmit(`dup-a-${Date.now()}`);
    await transmit(`dup-b-${Date.now()}`);

    const first = await sync(hs2, bob, { since: before });
    expect(toDeviceOf(first, 'org.example.dup')).toEqual([{ sender: alice.userId, type: 'org.example.dup', content: { copy: 1 } }]);
    // Acknowledged (the inbox row is gone); the sender retries once more: still nothing new.
    const after = await sync(hs2, bob, { since: first.body.next_batch as string });
    expect(toDeviceOf(after, 'org.example.dup')).toEqual([]);
    await transmit(`dup-c-${Date.now()}`);
    expect(toDeviceOf(await sync(hs2, bob, { since: after.body.next_batch as string }), 'org.example.dup')).toEqual([]);
    expect(toDeviceOf(await sync(hs2, bob), 'org.example.dup')).toEqual([]);
  });

  it('an EDU whose sender is not a user of the origin is ignored', async () => {
    const federation = cluster.server(0).homeserver.services.federation.client;
    const spoofed = {
      edu_type: 'm.direct_to_device',
      content: { sender: carl.userId, type: 'org.example.spoof', message_id: `spoof-${Date.now()}`, messages: { [bob.userId]: { '*': {} } } },
    };
    await federation.request('hs2.test', {
      method: 'PUT',
      path: `/_matrix/federation/v1/send/spoof-${Date.now()}`,
      body: { origin: 'hs1.test', origin_server_ts: Date.now(), pdus: [], edus: [spoofed] },
    });
    expect(toDeviceOf(await sync(hs2, bob), 'org.example.spoof')).toEqual([]);
  });
});
