import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import Database from 'better-sqlite3';
import { Agent } from 'undici';
import { buildEvent, type BuiltEvent, type EventTemplate } from '../../../src/core/events/build.js';
import type { RoomEvent } from '../../../src/core/events/room-event.js';
import type { JsonObject, JsonValue } from '../../../src/core/json.js';
import type { RoomVersion } from '../../../src/core/room-versions.js';
import { signingKeyFromSeed, signJson, type SigningKey } from '../../../src/core/signing.js';
import { formatXMatrixHeader, xMatrixSignable } from '../../../src/core/x-matrix.js';
import type { Homeserver } from '../../../src/homeserver.js';
import { TestClient, type TestResponse } from '../../support/client.js';
import { json, startFakeHttps, type FakeHttpsServer, type RecordedRequest } from './fake-https.js';
import type { TestCa } from './test-ca.js';

/**
 * A scripted federation peer for testing the inbound side without a second homeserver: it
 * publishes a signing key at /_matrix/key/v2/server, signs PDUs and X-Matrix requests with it,
 * answers /event, /event_auth, /get_missing_events, /state_ids and /state from what the test
 * put in `events` and `script`, records whatever Lattice sends it (/send transactions), and can
 * be told to lie in any way a test needs. It listens on a loopback address only.
 */

export interface PeerScript {
  /** POST /get_missing_events/{roomId}: the events to answer with (default: none). */
  missingEvents?: (body: JsonObject) => JsonValue[];
  /** GET /state_ids/{roomId}?event_id: the answer, or undefined for 404. */
  stateIds?: (eventId: string) => JsonObject | undefined;
  /** GET /state/{roomId}?event_id. */
  state?: (eventId: string) => JsonObject | undefined;
  /** GET /event_auth/{roomId}/{eventId}: the auth chain (default: 404). */
  eventAuth?: (eventId: string) => JsonValue[] | undefined;
}

export interface HostilePeer {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly key: SigningKey;
  readonly server: FakeHttpsServer;
  /** Events served by GET /event/{eventId} (may be anything, including lies). */
  readonly events: Map<string, JsonValue>;
  script: PeerScript;
  /** Requests Lattice made, oldest first. */
  requests(): readonly RecordedRequest[];
  /** Transactions Lattice pushed to us (PUT /send), parsed. */
  transactions(): JsonObject[];
  /** Builds and signs an event as this server (on the state and prev events given). */
  build(template: EventTemplate, on: BuildOn): BuiltEvent;
  /** A signed federation request to `target` (X-Matrix), checked against the spec's schemas. */
  request(target: PeerTarget, method: 'GET' | 'PUT' | 'POST', uri: string, content?: JsonValue, headers?: Record<string, string>): Promise<TestResponse>;
  /** PUT /send/{txnId} to `target`. */
  send(target: PeerTarget, txnId: string, pdus: readonly JsonValue[], edus?: readonly JsonValue[]): Promise<TestResponse>;
  /** The X-Matrix header for a request (tests forge variants of it). */
  authorization(destination: string, method: string, uri: string, content?: JsonValue, key?: SigningKey): string;
  close(): Promise<void>;
}

export interface PeerTarget {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface BuildOn {
  readonly version: RoomVersion;
  readonly prevEvents: readonly { event_id: string; depth: number }[];
  /** The state the event is built on: its auth events are picked from here. */
  readonly state: (type: string, stateKey: string) => RoomEvent | undefined;
  readonly ts?: number;
}

let seedCounter = 40;

export async function startHostilePeer(options: { name: string; host: string; ca: TestCa }): Promise<HostilePeer> {
  const key = signingKeyFromSeed(new Uint8Array(32).fill(seedCounter++), 'ed25519:evil');
  const cert = options.ca.issue(`${options.name}-peer`, [options.name], [options.host]);
  const events = new Map<string, JsonValue>();
  const agent = new Agent({ connect: { ca: readFileSync(options.ca.caCertPath, 'utf8') } });
  const clients = new Map<string, TestClient>();
  const peer: { script: PeerScript } = { script: {} };

  const handler = (req: RecordedRequest, res: ServerResponse): void => {
    const url = new URL(req.url, 'https://peer');
    const path = url.pathname;
    const parts = path.split('/').map((p) => decodeURIComponent(p));
    if (path === '/_matrix/key/v2/server') {
      const response = signJson(
        { server_name: options.name, valid_until_ts: Date.now() + 24 * 3600_000, verify_keys: { [key.keyId]: { key: key.publicKeyBase64 } }, old_verify_keys: {} },
        options.name,
        key,
      );
      return json(res, 200, response);
    }
    if (path.startsWith('/_matrix/federation/v1/send/')) return json(res, 200, { pdus: {} });
    if (path.startsWith('/_matrix/federation/v1/event/')) {
      const event = events.get(parts[5]!);
      return event === undefined ? json(res, 404, { errcode: 'M_NOT_FOUND', error: 'no' }) : json(res, 200, { origin: options.name, origin_server_ts: Date.now(), pdus: [event] });
    }
    if (path.startsWith('/_matrix/federation/v1/event_auth/')) {
      const chain = peer.script.eventAuth?.(parts[6]!);
      return chain === undefined ? json(res, 404, { errcode: 'M_NOT_FOUND', error: 'no' }) : json(res, 200, { auth_chain: chain });
    }
    if (path.startsWith('/_matrix/federation/v1/get_missing_events/')) {
      const body = JSON.parse(req.body) as JsonObject;
      return json(res, 200, { events: peer.script.missingEvents?.(body) ?? [] });
    }
    if (path.startsWith('/_matrix/federation/v1/state_ids/')) {
      const answer = peer.script.stateIds?.(url.searchParams.get('event_id') ?? '');
      return answer === undefined ? json(res, 404, { errcode: 'M_NOT_FOUND', error: 'no' }) : json(res, 200, answer);
    }
    if (path.startsWith('/_matrix/federation/v1/state/')) {
      const answer = peer.script.state?.(url.searchParams.get('event_id') ?? '');
      return answer === undefined ? json(res, 404, { errcode: 'M_NOT_FOUND', error: 'no' }) : json(res, 200, answer);
    }
    json(res, 404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
  };
  const server = await startFakeHttps({ host: options.host, certPath: cert.certPath, keyPath: cert.keyPath, handler });

  const authorization = (destination: string, method: string, uri: string, content?: JsonValue, signWith: SigningKey = key): string => {
    const signed = signJson(xMatrixSignable({ method, uri, origin: options.name, destination, content }), options.name, signWith, { strict: false });
    const sig = (signed.signatures[options.name] as JsonObject)[signWith.keyId] as string;
    return formatXMatrixHeader({ origin: options.name, destination, key: signWith.keyId, sig });
  };
  const clientFor = (target: PeerTarget): TestClient => {
    const id = `${target.host}:${target.port}`;
    let client = clients.get(id);
    if (!client) clients.set(id, (client = new TestClient(`https://${target.host}:${target.port}`, agent)));
    return client;
  };

  const request: HostilePeer['request'] = async (target, method, uri, content, headers = {}) => {
    const auth = authorization(target.name, method, uri, content);
    return clientFor(target).request(method, uri, {
      ...(content === undefined ? {} : { json: content }),
      headers: { authorization: auth, ...headers },
    });
  };

  return {
    name: options.name,
    host: options.host,
    port: server.port,
    key,
    server,
    events,
    get script() {
      return peer.script;
    },
    set script(s: PeerScript) {
      peer.script = s;
    },
    requests: () => server.requests,
    transactions: () =>
      server.requests.filter((r) => r.method === 'PUT' && r.url.startsWith('/_matrix/federation/v1/send/')).map((r) => JSON.parse(r.body) as JsonObject),
    build(template, on) {
      return buildEvent(template, {
        version: on.version,
        origin: options.name,
        key,
        originServerTs: on.ts ?? Date.now(),
        prevEvents: on.prevEvents,
        state: on.state,
        randomBytes: new Uint8Array(18).map(() => Math.floor(Math.random() * 256)),
        referenceHash: () => {
          throw new Error('v1/v2 references: pass pairs yourself');
        },
      });
    },
    authorization,
    request,
    async send(target, txnId, pdus, edus = []) {
      const uri = `/_matrix/federation/v1/send/${encodeURIComponent(txnId)}`;
      const content: JsonObject = { origin: options.name, origin_server_ts: Date.now(), pdus: [...pdus], edus: [...edus] };
      return request(target, 'PUT', uri, content);
    },
    async close() {
      await server.close();
      await agent.close();
    },
  };
}

/** How a peer builds on a Lattice room: its forward extremities (read from its database) and current state. */
export function onLatticeRoom(homeserver: Homeserver, roomId: string, ts?: number): BuildOn {
  const rooms = homeserver.services.rooms;
  const version = rooms.loader.versionOf(roomId);
  if (!version) throw new Error(`unknown room ${roomId}`);
  return { version, prevEvents: forwardExtremities(homeserver, roomId), state: rooms.state.currentLookup(roomId), ...(ts === undefined ? {} : { ts }) };
}

/** The room's forward extremities, through a read-only connection (WAL: it sees every commit). */
export function forwardExtremities(homeserver: Homeserver, roomId: string): { event_id: string; depth: number }[] {
  const db = new Database(homeserver.config.databasePath, { readonly: true });
  try {
    return db
      .prepare<[string], { event_id: string; depth: number }>(
        'SELECT x.event_id, e.depth FROM event_forward_extremities x JOIN events e ON e.event_id = x.event_id WHERE x.room_id = ? ORDER BY e.depth DESC',
      )
      .all(roomId);
  } finally {
    db.close();
  }
}

/** An event's row flags as stored (outlier, rejected, soft-failed), or undefined if not stored. */
export function storedFlags(homeserver: Homeserver, eventId: string): { outlier: boolean; rejected: string | null; softFailed: boolean; json: JsonObject } | undefined {
  const db = new Database(homeserver.config.databasePath, { readonly: true });
  try {
    const row = db
      .prepare<[string], { outlier: number; rejected_reason: string | null; soft_failed: number; json: string }>(
        'SELECT outlier, rejected_reason, soft_failed, json FROM events WHERE event_id = ?',
      )
      .get(eventId);
    return row && { outlier: row.outlier === 1, rejected: row.rejected_reason, softFailed: row.soft_failed === 1, json: JSON.parse(row.json) as JsonObject };
  } finally {
    db.close();
  }
}

/** A signed PDU as plain JSON (what goes over the wire). */
export function wire(pdu: object): JsonObject {
  return JSON.parse(JSON.stringify(pdu)) as JsonObject;
}
