import { createPrivateKey, createPublicKey, randomBytes, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import type { IncomingRequest } from '../src/api/dispatch.js';
import { parseConfigFile, resolveConfig } from '../src/config.js';
import { canonicalJson } from '../src/core/canonical-json.js';
import { buildEvent } from '../src/core/events/build.js';
import type { JsonObject, JsonValue } from '../src/core/json.js';
import { signingKeyFromSeed, signJson, type SigningKey } from '../src/core/signing.js';
import { formatXMatrixHeader, xMatrixSignable } from '../src/core/x-matrix.js';
import { createHomeserver, type Homeserver } from '../src/homeserver.js';
import { openDatabase } from '../src/storage/database.js';
import { ServerKeysRepo } from '../src/storage/server-keys-repo.js';
import { opsPerSecond } from './bench-core.js';

/**
 * Inbound federation throughput: PDUs verified and persisted per second. A remote server
 * (remote.bench, whose key the homeserver already holds) pushes a chain of signed messages into
 * a room on an in-process homeserver, in transactions of 50 through the real dispatch path:
 * X-Matrix verification, the transaction handler, format checks, ed25519 signature and content
 * hash checks, auth against auth events / state before / current state, and one SQLite commit
 * (fsync) per transaction run. The figure is compared with raw ed25519 verifies per second (the
 * floor of the work: one verify per PDU).
 */

export interface InboundPduFigures {
  readonly pdusPerSec: number;
  readonly rawVerifyPerSec: number;
  /** pdusPerSec / rawVerifyPerSec: the fraction of raw verify speed the whole pipeline keeps. */
  readonly ratio: number;
}

const REMOTE = 'remote.bench';
const LOCAL = 'local.bench';
const PDUS = 3000;
const PER_TXN = 50;

export async function benchInboundPdus(): Promise<InboundPduFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lattice-bench-fed-'));
  const remoteKey = signingKeyFromSeed(randomBytes(32), 'ed25519:bench');
  const config = resolveConfig(parseConfigFile({ server_name: LOCAL }), { dataDir: dir, http: [], https: [], coap: [] });
  const homeserver = createHomeserver(config, { logger: pino({ level: 'silent' }) });
  try {
    trustRemoteKey(config.databasePath, remoteKey);
    const roomId = await createRoom(homeserver);
    const mallory = `@mallory:${REMOTE}`;
    const rooms = homeserver.services.rooms;
    const version = rooms.loader.versionOf(roomId)!;

    // The remote user joins (one PDU built on the room as the local server has it).
    const extremity = lastEvent(homeserver, roomId);
    const join = buildEvent(
      { type: 'm.room.member', state_key: mallory, sender: mallory, content: { membership: 'join' }, room_id: roomId },
      { version, origin: REMOTE, key: remoteKey, originServerTs: Date.now(), prevEvents: [extremity], state: rooms.state.currentLookup(roomId) },
    );
    const joined = await send(homeserver, remoteKey, 'join', [join.pdu as JsonObject]);
    if (JSON.stringify(joined) !== JSON.stringify({ pdus: { [join.eventId]: {} } })) throw new Error(`join failed: ${JSON.stringify(joined)}`);

    // A chain of messages, all signed up front (the sender's cost is not ours).
    const state = rooms.state.currentLookup(roomId);
    let prev = { event_id: join.eventId, depth: join.event.depth };
    const transactions: { txnId: string; pdus: JsonObject[]; headers: string[] }[] = [];
    let batch: JsonObject[] = [];
    for (let i = 0; i < PDUS; i++) {
      const built = buildEvent(
        { type: 'm.room.message', sender: mallory, content: { msgtype: 'm.text', body: `message ${i}: the quick brown fox jumps over the lazy dog` }, room_id: roomId },
        { version, origin: REMOTE, key: remoteKey, originServerTs: Date.now(), prevEvents: [prev], state },
      );
      prev = { event_id: built.eventId, depth: built.event.depth };
      batch.push(built.pdu as JsonObject);
      if (batch.length === PER_TXN) {
        const txnId = `t${transactions.length}`;
        transactions.push({ txnId, pdus: batch, headers: [xMatrix(remoteKey, txnId, batch)] });
        batch = [];
      }
    }

    const start = performance.now();
    for (const txn of transactions) {
      const answer = await dispatchSend(homeserver, txn.txnId, txn.pdus, txn.headers);
      const results = Object.values((answer['pdus'] ?? {}) as JsonObject);
      if (results.length !== txn.pdus.length || results.some((r) => JSON.stringify(r) !== '{}')) throw new Error(`transaction failed: ${JSON.stringify(answer).slice(0, 300)}`);
    }
    const seconds = (performance.now() - start) / 1000;
    const pdusPerSec = Math.round(PDUS / seconds);
    const rawVerifyPerSec = rawVerify();
    return { pdusPerSec, rawVerifyPerSec, ratio: Math.round((pdusPerSec / rawVerifyPerSec) * 1000) / 1000 };
  } finally {
    await homeserver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The homeserver knows remote.bench's key already (as after a first key fetch). */
function trustRemoteKey(databasePath: string, key: SigningKey): void {
  const db = openDatabase({ path: databasePath, synchronous: 'normal' });
  try {
    new ServerKeysRepo(db).store(REMOTE, [{ keyId: key.keyId, publicKey: key.publicKey, validUntilTs: Date.now() + 86_400_000, expired: false }], '{}', Date.now());
  } finally {
    db.close();
  }
}

function request(method: string, pathAndQuery: string, body: JsonValue | Uint8Array | undefined, extra: Partial<IncomingRequest> = {}): IncomingRequest {
  const q = pathAndQuery.indexOf('?');
  return {
    method,
    path: q < 0 ? pathAndQuery : pathAndQuery.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : pathAndQuery.slice(q + 1)),
    body,
    accessToken: undefined,
    clientIp: '127.0.0.1',
    transport: 'http',
    signal: new AbortController().signal,
    ...extra,
  };
}

async function createRoom(homeserver: Homeserver): Promise<string> {
  const register = (auth?: JsonObject) =>
    homeserver.dispatch(request('POST', '/_matrix/client/v3/register', { username: 'alice', password: 'bench-password', ...(auth ? { auth } : {}) }));
  const first = await register();
  const session = (first.body as JsonObject)['session'] as string;
  const done = (await register({ type: 'm.login.dummy', session })).body as JsonObject;
  const token = done['access_token'] as string;
  const created = await homeserver.dispatch(request('POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' }, { accessToken: token }));
  const roomId = (created.body as JsonObject)['room_id'];
  if (typeof roomId !== 'string') throw new Error(`createRoom failed: ${JSON.stringify(created.body)}`);
  return roomId;
}

/** The room's single forward extremity (read through a second, read-only connection). */
function lastEvent(homeserver: Homeserver, roomId: string): { event_id: string; depth: number } {
  const db = new Database(homeserver.config.databasePath, { readonly: true });
  try {
    const rows = db
      .prepare<[string], { event_id: string; depth: number }>(
        'SELECT x.event_id, e.depth FROM event_forward_extremities x JOIN events e ON e.event_id = x.event_id WHERE x.room_id = ?',
      )
      .all(roomId);
    if (rows.length !== 1) throw new Error(`expected one forward extremity, found ${rows.length}`);
    return rows[0]!;
  } finally {
    db.close();
  }
}

function xMatrix(key: SigningKey, txnId: string, pdus: JsonObject[]): string {
  const uri = `/_matrix/federation/v1/send/${txnId}`;
  const content: JsonObject = { origin: REMOTE, origin_server_ts: 0, pdus };
  const signed = signJson(xMatrixSignable({ method: 'PUT', uri, origin: REMOTE, destination: LOCAL, content }), REMOTE, key);
  const sig = (signed.signatures[REMOTE] as JsonObject)[key.keyId] as string;
  return formatXMatrixHeader({ origin: REMOTE, destination: LOCAL, key: key.keyId, sig });
}

async function send(homeserver: Homeserver, key: SigningKey, txnId: string, pdus: JsonObject[]): Promise<JsonObject> {
  return dispatchSend(homeserver, txnId, pdus, [xMatrix(key, txnId, pdus)]);
}

async function dispatchSend(homeserver: Homeserver, txnId: string, pdus: JsonObject[], authorization: string[]): Promise<JsonObject> {
  const body = Buffer.from(JSON.stringify({ origin: REMOTE, origin_server_ts: 0, pdus }));
  const res = await homeserver.dispatch(
    request('PUT', `/_matrix/federation/v1/send/${txnId}`, new Uint8Array(body.buffer, body.byteOffset, body.byteLength), { authorization }),
  );
  if (res.status !== 200) throw new Error(`send ${txnId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as JsonObject;
}

/** Raw node:crypto ed25519 verifies per second, on a message the size of a PDU's signing bytes. */
function rawVerify(): number {
  const seed = randomBytes(32);
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  const message = Buffer.from(canonicalJson({ type: 'm.room.message', content: { body: 'x'.repeat(300) }, depth: 12345, room_id: '!room:bench' }));
  const signature = cryptoSign(null, message, privateKey);
  return opsPerSecond(() => {
    if (!cryptoVerify(null, message, publicKey, signature)) throw new Error('raw verify failed');
  });
}

// `node dist/scripts/bench-federation.js` runs it alone.
if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  const f = await benchInboundPdus();
  console.log('federation: inbound PDUs');
  console.log(`  verified + persisted         ${f.pdusPerSec.toLocaleString('en')} PDUs/s`);
  console.log(`  raw ed25519 verify           ${f.rawVerifyPerSec.toLocaleString('en')} /s  (ratio ${f.ratio})`);
}
