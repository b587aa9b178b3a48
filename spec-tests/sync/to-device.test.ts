// Send-to-device messaging on one server: PUT /sendToDevice (HTTP and CoAP) into device inboxes,
// delivery through /sync's to_device section, acknowledgement by the next token, paging, txn
// idempotency, long-poll wake-up, device deletion, bad bodies, and the upgrade of what
// migration 0006 had stored. Every JSON response is checked against the spec by the TestClient.
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigFile, resolveConfig } from '../../src/config.js';
import { createHomeserver, type Homeserver } from '../../src/homeserver.js';
import { decodeCborBody, encodeCborBody } from '../../src/transport/coap/cbor-body.js';
import { CS, login, passwordAuth, registerUser, TestClient, type Session, type TestResponse } from '../support/client.js';
import { GENEROUS_LIMITS, makeTempDir, OFFLINE_DNS, startTestServer } from '../support/server.js';
import { coapRequest, newAgent } from '../coap/support/node-coap-client.js';
import { sync } from './helpers.js';
import { rmSync } from 'node:fs';

interface ToDeviceEvent {
  readonly sender: string;
  readonly type: string;
  readonly content: Record<string, unknown>;
}

let dataDir: string;
let homeserver: Homeserver;
let client: TestClient;
let coapPort: number;
let alice: Session;

beforeAll(async () => {
  // HTTP and CoAP on one server (the shared test helper starts HTTP only).
  dataDir = makeTempDir('lattice-to-device-');
  const config = resolveConfig(parseConfigFile({ ...GENEROUS_LIMITS }), { dataDir, http: ['127.0.0.1:0'], coap: ['127.0.0.1:0'] });
  homeserver = createHomeserver(config, { logger: pino({ level: 'silent' }), federationDns: OFFLINE_DNS });
  const started = await homeserver.start();
  client = new TestClient(`http://127.0.0.1:${started.http[0]!.port}`);
  coapPort = started.coap[0]!.port;
  alice = await registerUser(client, 'alice', 'pw-alice');
});

afterAll(async () => {
  await homeserver?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

let txnCounter = 0;
const nextTxn = (): string => `td-${Date.now()}-${++txnCounter}`;

function sendToDevice(from: Session, type: string, messages: unknown, txnId = nextTxn()): Promise<TestResponse> {
  return client.put(`${CS}/sendToDevice/${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`, { messages }, { token: from.accessToken });
}

async function sendOk(from: Session, type: string, messages: unknown, txnId?: string): Promise<void> {
  const res = await sendToDevice(from, type, messages, txnId);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body).toEqual({});
}

function toDeviceOf(res: TestResponse): ToDeviceEvent[] {
  return (res.body.to_device?.events as ToDeviceEvent[] | undefined) ?? [];
}

/** A user with two devices: the one registration made, and a second login with a chosen ID. */
async function userWithTwoDevices(name: string): Promise<{ first: Session; second: Session }> {
  const first = await registerUser(client, name, `pw-${name}`);
  const res = await login(client, name, `pw-${name}`, { device_id: `${name.toUpperCase()}2` });
  expect(res.status).toBe(200);
  const second: Session = { userId: res.body.user_id, accessToken: res.body.access_token, deviceId: res.body.device_id };
  return { first, second };
}

function dbRows(sql: string, ...params: unknown[]): unknown[] {
  const db = new Database(homeserver.config.databasePath, { readonly: true });
  try {
    return db.prepare(sql).all(...params);
  } finally {
    db.close();
  }
}

describe('delivery', () => {
  it('a message for one device reaches that device only; `*` reaches every device of the user', async () => {
    const { first, second } = await userWithTwoDevices('bob');
    await sendOk(alice, 'org.example.ping', { [first.userId]: { [first.deviceId]: { n: 1 } } });
    expect(toDeviceOf(await sync(client, first))).toEqual([{ sender: alice.userId, type: 'org.example.ping', content: { n: 1 } }]);
    expect(toDeviceOf(await sync(client, second))).toEqual([]);

    await sendOk(alice, 'org.example.all', { [first.userId]: { '*': { all: true } } });
    const both = [{ sender: alice.userId, type: 'org.example.all', content: { all: true } }];
    expect(toDeviceOf(await sync(client, second))).toEqual(both);
    const firstAgain = toDeviceOf(await sync(client, first));
    expect(firstAgain.map((e) => e.type)).toEqual(['org.example.ping', 'org.example.all']);
  });

  it('a device named alongside `*` gets the message written for it; unknown users and devices get nothing', async () => {
    const { first, second } = await userWithTwoDevices('carol');
    await sendOk(alice, 'org.example.mix', {
      [first.userId]: { '*': { to: 'everyone' }, [second.deviceId]: { to: 'second' }, NOSUCHDEVICE: { to: 'nobody' } },
      '@nobody:localhost': { '*': { to: 'nobody' } },
    });
    expect(toDeviceOf(await sync(client, first)).map((e) => e.content)).toEqual([{ to: 'everyone' }]);
    expect(toDeviceOf(await sync(client, second)).map((e) => e.content)).toEqual([{ to: 'second' }]);
    const stored = dbRows("SELECT device_id FROM to_device_inbox WHERE type = 'org.example.mix'") as { device_id: string }[];
    expect(stored.map((r) => r.device_id).sort()).toEqual([first.deviceId, second.deviceId].sort());
  });
});

describe('acknowledgement', () => {
  it('a message is sent again from the same since until a sync with a later token acknowledges it', async () => {
    const dan = await registerUser(client, 'dan', 'pw-dan');
    const initial = await sync(client, dan);
    const s0 = initial.body.next_batch as string;
    await sendOk(alice, 'org.example.ack', { [dan.userId]: { [dan.deviceId]: { k: 'v' } } });

    const first = await sync(client, dan, { since: s0 });
    expect(toDeviceOf(first)).toEqual([{ sender: alice.userId, type: 'org.example.ack', content: { k: 'v' } }]);
    const s1 = first.body.next_batch as string;
    expect(s1).not.toBe(s0);
    // The response may have been lost: the same since gets the message again.
    expect(toDeviceOf(await sync(client, dan, { since: s0 }))).toHaveLength(1);
    // Syncing from s1 says the client has it: it is gone, even for an older token.
    expect(toDeviceOf(await sync(client, dan, { since: s1 }))).toEqual([]);
    expect(toDeviceOf(await sync(client, dan, { since: s0 }))).toEqual([]);
    expect(dbRows('SELECT count(*) AS n FROM to_device_inbox WHERE user_id = ?', dan.userId)).toEqual([{ n: 0 }]);
  });

  it('more than 100 pending messages come 100 per sync, in order, none lost', async () => {
    const erin = await registerUser(client, 'erin', 'pw-erin');
    const total = 230;
    for (let i = 0; i < total; i++) await sendOk(alice, 'org.example.seq', { [erin.userId]: { [erin.deviceId]: { i } } });

    const seen: number[] = [];
    const pageSizes: number[] = [];
    let since: string | undefined;
    for (let round = 0; round < 10; round++) {
      const res: TestResponse = await sync(client, erin, since === undefined ? {} : { since });
      const events = toDeviceOf(res);
      if (events.length === 0) break;
      pageSizes.push(events.length);
      seen.push(...events.map((e) => e.content['i'] as number));
      since = res.body.next_batch as string;
    }
    expect(pageSizes).toEqual([100, 100, 30]);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
  });

  it('an initial sync delivers everything pending without acknowledging it', async () => {
    const fay = await registerUser(client, 'fay', 'pw-fay');
    await sendOk(alice, 'org.example.init', { [fay.userId]: { '*': { x: 1 } } });
    expect(toDeviceOf(await sync(client, fay))).toHaveLength(1);
    expect(toDeviceOf(await sync(client, fay))).toHaveLength(1);
  });
});

describe('sending', () => {
  it('the same txnId from the same device sends once; another device may reuse it', async () => {
    const gus = await registerUser(client, 'gus', 'pw-gus');
    const aliceElsewhere = await login(client, 'alice', 'pw-alice');
    const other: Session = { userId: alice.userId, accessToken: aliceElsewhere.body.access_token, deviceId: aliceElsewhere.body.device_id };
    const messages = { [gus.userId]: { [gus.deviceId]: { once: true } } };
    await sendOk(alice, 'org.example.txn', messages, 'same-txn');
    await sendOk(alice, 'org.example.txn', messages, 'same-txn');
    expect(toDeviceOf(await sync(client, gus))).toHaveLength(1);
    await sendOk(other, 'org.example.txn', messages, 'same-txn');
    expect(toDeviceOf(await sync(client, gus))).toHaveLength(2);
  });

  it('a long-poll is woken by a message for its device', async () => {
    const hal = await registerUser(client, 'hal', 'pw-hal');
    const since = (await sync(client, hal)).body.next_batch as string;
    const started = Date.now();
    const polling = sync(client, hal, { since, timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    await sendOk(alice, 'org.example.wake', { [hal.userId]: { [hal.deviceId]: { wake: 'up' } } });
    const res = await polling;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(toDeviceOf(res)).toEqual([{ sender: alice.userId, type: 'org.example.wake', content: { wake: 'up' } }]);
  });

  it('bad bodies are refused with the spec error and deliver nothing; the txnId stays usable', async () => {
    const ivy = await registerUser(client, 'ivy', 'pw-ivy');
    const target = { [ivy.userId]: { [ivy.deviceId]: { ok: true } } };
    const cases: [unknown, number, string][] = [
      ['not an object', 400, 'M_BAD_JSON'],
      [{ [ivy.userId]: 'not an object' }, 400, 'M_BAD_JSON'],
      [{ [ivy.userId]: { [ivy.deviceId]: 'content must be an object' } }, 400, 'M_BAD_JSON'],
      [{ [ivy.userId]: { [ivy.deviceId]: [1, 2] } }, 400, 'M_BAD_JSON'],
      [{ ...target, 'not-a-user-id': { X: {} } }, 400, 'M_INVALID_PARAM'],
      [{ ...target, '@ivy:bad server name': { X: {} } }, 400, 'M_INVALID_PARAM'],
      [{ ...target, [`@u:localhost`]: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`D${i}`, {}])) }, 413, 'M_TOO_LARGE'],
    ];
    for (const [messages, status, errcode] of cases) {
      const res = await sendToDevice(alice, 'org.example.bad', messages, 'bad-txn');
      expect({ status: res.status, errcode: res.body.errcode }, JSON.stringify(messages).slice(0, 200)).toEqual({ status, errcode });
    }
    const missing = await client.put(`${CS}/sendToDevice/org.example.bad/bad-txn`, {}, { token: alice.accessToken });
    expect({ status: missing.status, errcode: missing.body.errcode }).toEqual({ status: 400, errcode: 'M_MISSING_PARAM' });
    const notJson = await client.request('PUT', `${CS}/sendToDevice/org.example.bad/bad-txn`, { raw: '{"messages":', token: alice.accessToken, headers: { 'content-type': 'application/json' } });
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
    expect(toDeviceOf(await sync(client, ivy))).toEqual([]);

    // Nothing was recorded for the refused requests: the same txnId now sends.
    await sendOk(alice, 'org.example.bad', target, 'bad-txn');
    expect(toDeviceOf(await sync(client, ivy)).map((e) => e.content)).toEqual([{ ok: true }]);
  });

  it('deleting a device deletes its inbox; a new device with the same ID starts empty', async () => {
    const { first, second } = await userWithTwoDevices('jay');
    await sendOk(alice, 'org.example.gone', { [first.userId]: { '*': { n: 1 } } });
    await sendOk(alice, 'org.example.gone', { [first.userId]: { [second.deviceId]: { n: 2 } } });
    expect(dbRows('SELECT count(*) AS n FROM to_device_inbox WHERE user_id = ? AND device_id = ?', first.userId, second.deviceId)).toEqual([{ n: 2 }]);

    const path = `${CS}/devices/${second.deviceId}`;
    const challenge = await client.delete(path, {}, { token: first.accessToken });
    expect(challenge.status).toBe(401);
    const deleted = await client.delete(path, { auth: passwordAuth('jay', 'pw-jay', challenge.body.session) }, { token: first.accessToken });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(dbRows('SELECT count(*) AS n FROM to_device_inbox WHERE user_id = ? AND device_id = ?', first.userId, second.deviceId)).toEqual([{ n: 0 }]);

    const again = await login(client, 'jay', 'pw-jay', { device_id: second.deviceId });
    expect(again.status).toBe(200);
    const reborn: Session = { userId: first.userId, accessToken: again.body.access_token, deviceId: second.deviceId };
    expect(toDeviceOf(await sync(client, reborn))).toEqual([]);
    // The device that stayed keeps its message.
    expect(toDeviceOf(await sync(client, first)).map((e) => e.content)).toEqual([{ n: 1 }]);
  });

  it('over CoAP: the path enum /c with a CBOR body', async () => {
    const kim = await registerUser(client, 'kim', 'pw-kim');
    const coap = newAgent();
    try {
      const payload = encodeCborBody({ messages: { [kim.userId]: { [kim.deviceId]: { via: 'coap' } } } }, false);
      const reply = await coapRequest(coap.agent, '127.0.0.1', coapPort, {
        method: 'PUT',
        pathname: `/c/org.example.coap/${nextTxn()}`,
        payload,
        options: { '256': Buffer.from(alice.accessToken), 'Content-Format': Buffer.of(60) },
      });
      expect(reply.code, JSON.stringify(reply.payload.length > 0 ? decodeCborBody(reply.payload).value : null)).toBe('2.05');
    } finally {
      coap.close();
    }
    expect(toDeviceOf(await sync(client, kim))).toEqual([{ sender: alice.userId, type: 'org.example.coap', content: { via: 'coap' } }]);
  });
});

describe('upgrading a database from before to-device delivery', () => {
  it('moves what migration 0006 stored into the inboxes, expanding `*` and dropping unknown devices', async () => {
    const server = await startTestServer();
    const dir = server.dataDir;
    const dbPath = server.config.databasePath;
    const lee = await registerUser(server.client, 'lee', 'pw-lee');
    const res = await login(server.client, 'lee', 'pw-lee', { device_id: 'LEE2' });
    expect(res.status).toBe(200);
    await server.homeserver.stop();

    // Back to the 0006 schema for to-device, with rows as the old EDU handler wrote them.
    const db = new Database(dbPath);
    db.exec(`
      DROP TRIGGER to_device_forget_deleted_device;
      DROP TABLE to_device_inbox; DROP TABLE to_device_txns; DROP TABLE to_device_federation_seen;
      DELETE FROM schema_migrations WHERE version = 9;
      CREATE TABLE federation_inbox_to_device (
        id INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL, message_id TEXT NOT NULL, sender TEXT NOT NULL,
        user_id TEXT NOT NULL, device_id TEXT NOT NULL, type TEXT NOT NULL, content_json TEXT NOT NULL, received_ts INTEGER NOT NULL
      ) STRICT;`);
    const insert = db.prepare(
      `INSERT INTO federation_inbox_to_device (origin, message_id, sender, user_id, device_id, type, content_json, received_ts)
       VALUES ('far.test', ?, '@zed:far.test', ?, ?, 'org.example.old', ?, 1)`,
    );
    insert.run('m1', lee.userId, '*', '{"n":1}');
    insert.run('m2', lee.userId, 'LEE2', '{"n":2}');
    insert.run('m3', lee.userId, 'GONE', '{"n":3}');
    db.close();

    const upgraded = await startTestServer({ dataDir: dir });
    try {
      const first = toDeviceOf(await sync(upgraded.client, lee));
      expect(first).toEqual([{ sender: '@zed:far.test', type: 'org.example.old', content: { n: 1 } }]);
      const second = await login(upgraded.client, 'lee', 'pw-lee', { device_id: 'LEE2' });
      const lee2: Session = { userId: lee.userId, accessToken: second.body.access_token, deviceId: 'LEE2' };
      expect(toDeviceOf(await sync(upgraded.client, lee2)).map((e) => e.content)).toEqual([{ n: 1 }, { n: 2 }]);
      const check = new Database(dbPath, { readonly: true });
      try {
        expect(check.prepare("SELECT name FROM sqlite_master WHERE name = 'federation_inbox_to_device'").all()).toEqual([]);
        expect(check.prepare('SELECT origin, message_id FROM to_device_federation_seen ORDER BY message_id').all()).toEqual([
          { origin: 'far.test', message_id: 'm1' },
          { origin: 'far.test', message_id: 'm2' },
          { origin: 'far.test', message_id: 'm3' },
        ]);
      } finally {
        check.close();
      }
    } finally {
      await upgraded.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
