import { canonicalJson, CanonicalJsonError } from '../canonical-json.js';
import { ProtocolError } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import type { RoomVersion } from '../room-versions.js';
import { computeEventId, roomIdFromCreateEventId } from './event-id.js';
import type { RoomEvent } from './room-event.js';

/**
 * PDUs (room events in federation format) and their format check, per the room versions' PDU
 * schemas (server-server definitions pdu_v1/v3/v4/v6/v11/v12.yaml) and the C-S "Size limits".
 * Passing validatePdu is check 1 of "Checks performed on receipt of a PDU": a PDU that fails it
 * is dropped, before signatures, hashes or auth rules look at it.
 */

export interface EventHashes {
  readonly sha256: string;
  readonly [algorithm: string]: JsonValue;
}

export interface EventSignatures {
  readonly [server: string]: { readonly [keyId: string]: string };
}

/** v1/v2 `prev_events`/`auth_events` entry: the event ID and the event's reference hash. */
export type EventReferencePair = [eventId: string, hashes: EventHashes];

interface PduCommon {
  readonly type: string;
  /** Present (possibly "") exactly on state events. */
  readonly state_key?: string;
  readonly sender: string;
  readonly origin_server_ts: number;
  readonly depth: number;
  readonly content: JsonObject;
  readonly hashes: EventHashes;
  readonly signatures: EventSignatures;
  readonly unsigned?: JsonObject;
  /** PDUs may carry other keys (e.g. the historical `origin`); they are hashed and redacted like any other. */
  readonly [key: string]: JsonValue | undefined;
}

/** Room versions 1 and 2: explicit event_id, reference pairs. */
export interface PduV1 extends PduCommon {
  readonly room_id: string;
  readonly event_id: string;
  readonly prev_events: EventReferencePair[];
  readonly auth_events: EventReferencePair[];
  readonly redacts?: string;
}

/** Room versions 3 to 11: hash-derived event IDs, plain ID lists (v11 keeps `redacts` in content). */
export interface PduV3 extends PduCommon {
  readonly room_id: string;
  readonly prev_events: string[];
  readonly auth_events: string[];
  readonly redacts?: string;
}

/** Room version 12: like v11, but m.room.create has no room_id (the room ID derives from it). */
export interface PduV12 extends PduCommon {
  readonly room_id?: string;
  readonly prev_events: string[];
  readonly auth_events: string[];
}

export type Pdu = PduV1 | PduV3 | PduV12;

export class PduFormatError extends ProtocolError {
  override name = 'PduFormatError';
  constructor(
    message: string,
    /** The offending field, e.g. `content.membership` or `prev_events[3]`; '' for the whole PDU. */
    readonly field: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}

/** C-S "Size limits": the whole federation-format event, as canonical JSON. */
export const MAX_PDU_BYTES = 65536;
/** pdu_v*.yaml: "Must contain less than or equal to 20 events." */
export const MAX_PREV_EVENTS = 20;
/** pdu_v*.yaml: "Must contain less than or equal to 10 events." */
export const MAX_AUTH_EVENTS = 10;
/** sender, room_id, event_id (identifier grammar) and type, state_key (size limits). */
const MAX_ID_BYTES = 255;
/** origin_server_ts is an int64 (pdu_base.yaml); 2^63 is exactly representable as a double. */
const INT64_LIMIT = 2 ** 63;

// Identifier grammars (appendices.md "Identifier Grammar"). Server names: hostname, IPv6
// literal in brackets, or DNS name, with an optional port.
const SERVER_NAME = /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,255})(?::[0-9]{1,5})?$/;
/** Hash-format event IDs: `$` + 43 unpadded base64 characters of a sha256 (v3, then URL-safe). */
const EVENT_ID_V3 = /^\$[A-Za-z0-9+/]{43}$/;
const EVENT_ID_V4 = /^\$[A-Za-z0-9_-]{43}$/;
/** v12 room IDs: the create event's ID with `!`. */
const ROOM_ID_V12 = /^![A-Za-z0-9_-]{43}$/;

function fail(field: string, message: string): never {
  throw new PduFormatError(message, field);
}

function byteLength(text: string): number {
  // Most IDs are ASCII; skip the encoder when the UTF-16 length already proves the bound.
  return text.length * 3 <= MAX_ID_BYTES ? text.length : Buffer.byteLength(text, 'utf8');
}

/**
 * `sigil localpart : server_name`, the form of user IDs, v1-v11 room IDs and v1/v2 event IDs.
 * Localparts are split at the first colon and may hold any code point but NUL (historical user
 * IDs and room/event ID localparts allow that), so only the server name is strictly checked.
 */
function isSigilServerId(value: string, sigil: string): boolean {
  if (value[0] !== sigil || byteLength(value) > MAX_ID_BYTES) return false;
  const colon = value.indexOf(':');
  if (colon < 0) return false;
  if (value.lastIndexOf('\0', colon) >= 0) return false;
  return SERVER_NAME.test(value.slice(colon + 1));
}

export function isValidUserId(value: string): boolean {
  return isSigilServerId(value, '@');
}

/** The server name part of a `@user:server` / `$event:server` / `!room:server` ID, if any. */
export function serverNameOf(id: string): string | undefined {
  const colon = id.indexOf(':');
  if (colon < 0) return undefined;
  const server = id.slice(colon + 1);
  return SERVER_NAME.test(server) ? server : undefined;
}

function isEventIdFor(value: string, version: RoomVersion): boolean {
  switch (version.eventIdFormat) {
    case 'explicit':
      return isSigilServerId(value, '$');
    case 'hash-base64':
      return EVENT_ID_V3.test(value);
    case 'hash-base64url':
      return EVENT_ID_V4.test(value);
  }
}

function isRoomIdFor(value: string, version: RoomVersion): boolean {
  return version.roomIdFromCreateEvent ? ROOM_ID_V12.test(value) : isSigilServerId(value, '!');
}

function has(object: JsonObject, key: string): boolean {
  return Object.hasOwn(object, key);
}

function requireString(object: JsonObject, key: string, field: string): string {
  if (!has(object, key)) fail(field, 'required');
  const value = object[key];
  if (typeof value !== 'string') fail(field, 'must be a string');
  return value;
}

function requireObject(object: JsonObject, key: string, field: string): JsonObject {
  if (!has(object, key)) fail(field, 'required');
  const value = object[key];
  if (!isJsonObject(value)) fail(field, 'must be an object');
  return value;
}

function requireInteger(object: JsonObject, key: string, field: string): number {
  if (!has(object, key)) fail(field, 'required');
  const value = object[key];
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(field, 'must be an integer');
  return value;
}

function checkLimitedString(value: string, field: string): void {
  if (byteLength(value) > MAX_ID_BYTES) fail(field, `must not exceed ${MAX_ID_BYTES} bytes`);
}

function checkEventRefs(pdu: JsonObject, key: 'prev_events' | 'auth_events', max: number, version: RoomVersion): void {
  if (!has(pdu, key)) fail(key, 'required');
  const refs = pdu[key];
  if (!Array.isArray(refs)) fail(key, 'must be an array');
  if (refs.length > max) fail(key, `must not list more than ${max} events`);
  for (let i = 0; i < refs.length; i++) {
    const field = `${key}[${i}]`;
    let id: JsonValue = refs[i]!;
    if (version.eventRefsArePairs) {
      if (!Array.isArray(id) || id.length !== 2) fail(field, 'must be an [event_id, {sha256}] pair');
      const hashes = id[1]!;
      if (!isJsonObject(hashes)) fail(`${field}[1]`, 'must be an object');
      if (!has(hashes, 'sha256') || typeof hashes.sha256 !== 'string') fail(`${field}[1].sha256`, 'must be a string');
      id = id[0]!;
      if (typeof id !== 'string' || !isEventIdFor(id, version)) fail(`${field}[0]`, 'must be an event ID');
    } else if (typeof id !== 'string' || !isEventIdFor(id, version)) {
      fail(field, `must be a room version ${version.id} event ID`);
    }
  }
}

/**
 * Checks that `json` is a well-formed PDU for the room version and returns it typed (the same
 * object: no copy). Throws PduFormatError naming the first offending field; never anything
 * else, whatever JSON it is given.
 *
 * Beyond the schema it enforces the C-S size limits, the identifier grammars of sender, room_id
 * and event IDs, the depth bound, strict canonical JSON for v6+, and the few content fields the
 * core later reads with an assumed type (member `membership`, v11+ redaction `redacts`, v8+
 * `join_authorised_via_users_server`).
 */
export function validatePdu(json: unknown, version: RoomVersion): Pdu {
  if (!isJsonObject(json)) fail('', 'PDU must be a JSON object');

  // One canonical serialisation answers three questions: is it JSON at all, does it meet the
  // version's number rules (floats/big integers are fatal from v6), and is it within 64 KiB.
  let canonical: string;
  try {
    canonical = canonicalJson(json, { strict: version.strictCanonicalJson });
  } catch (err) {
    if (err instanceof CanonicalJsonError) fail(err.path, err.message);
    fail('', 'not serialisable as canonical JSON');
  }
  if (canonical.length > MAX_PDU_BYTES / 3 && Buffer.byteLength(canonical, 'utf8') > MAX_PDU_BYTES) {
    fail('', `PDU exceeds ${MAX_PDU_BYTES} bytes as canonical JSON`);
  }

  const type = requireString(json, 'type', 'type');
  checkLimitedString(type, 'type');

  let stateKey: string | undefined;
  if (has(json, 'state_key')) {
    stateKey = requireString(json, 'state_key', 'state_key');
    checkLimitedString(stateKey, 'state_key');
  }

  const sender = requireString(json, 'sender', 'sender');
  if (!isValidUserId(sender)) fail('sender', 'must be a user ID (@localpart:server, at most 255 bytes)');

  const ts = requireInteger(json, 'origin_server_ts', 'origin_server_ts');
  if (ts >= INT64_LIMIT || ts < -INT64_LIMIT) fail('origin_server_ts', 'must be a 64-bit integer');

  const depth = requireInteger(json, 'depth', 'depth');
  if (depth < 0) fail('depth', 'must not be negative');
  if (depth > version.maxDepth) fail('depth', `must not exceed ${version.maxDepth}`);

  const content = requireObject(json, 'content', 'content');

  const hashes = requireObject(json, 'hashes', 'hashes');
  requireString(hashes, 'sha256', 'hashes.sha256');

  const signatures = requireObject(json, 'signatures', 'signatures');
  for (const server of Object.keys(signatures)) {
    const serverSignatures = signatures[server];
    if (!isJsonObject(serverSignatures)) fail(`signatures.${server}`, 'must be an object');
    for (const keyId of Object.keys(serverSignatures)) {
      if (typeof serverSignatures[keyId] !== 'string') fail(`signatures.${server}.${keyId}`, 'must be a string');
    }
  }

  if (has(json, 'unsigned')) {
    const unsigned = requireObject(json, 'unsigned', 'unsigned');
    if (has(unsigned, 'age')) requireInteger(unsigned, 'age', 'unsigned.age');
  }

  if (version.roomIdFromCreateEvent && type === 'm.room.create') {
    // v12 auth rule 1.2 rejects a create event with a room_id. We drop it here instead, because
    // a RoomEvent's room_id for a v12 create is derived, so the auth rules could not see it.
    if (has(json, 'room_id')) fail('room_id', 'm.room.create must not have a room_id in this room version');
  } else {
    const roomId = requireString(json, 'room_id', 'room_id');
    if (!isRoomIdFor(roomId, version)) fail('room_id', `must be a room version ${version.id} room ID`);
  }

  if (version.eventIdFormat === 'explicit') {
    const eventId = requireString(json, 'event_id', 'event_id');
    if (!isEventIdFor(eventId, version)) fail('event_id', 'must be an event ID ($opaque:server, at most 255 bytes)');
  }

  checkEventRefs(json, 'prev_events', MAX_PREV_EVENTS, version);
  checkEventRefs(json, 'auth_events', MAX_AUTH_EVENTS, version);

  if (!version.redactsInContent && has(json, 'redacts')) {
    const redacts = requireString(json, 'redacts', 'redacts');
    if (!isEventIdFor(redacts, version)) fail('redacts', `must be a room version ${version.id} event ID`);
  }

  if (type === 'm.room.member') {
    if (stateKey === undefined) fail('state_key', 'required on m.room.member');
    const membership = requireString(content, 'membership', 'content.membership');
    if (version.restrictedJoins && membership === 'join' && has(content, 'join_authorised_via_users_server')) {
      const via = requireString(content, 'join_authorised_via_users_server', 'content.join_authorised_via_users_server');
      if (!isValidUserId(via)) fail('content.join_authorised_via_users_server', 'must be a user ID');
    }
  } else if (type === 'm.room.redaction' && version.redactsInContent) {
    const redacts = requireString(content, 'redacts', 'content.redacts');
    if (!isEventIdFor(redacts, version)) fail('content.redacts', `must be a room version ${version.id} event ID`);
  }

  return json as Pdu;
}

/** The event's ID (v1/v2: its event_id field; v3+: from its reference hash). */
export function eventIdOf(pdu: Pdu, version: RoomVersion): string {
  return computeEventId(pdu, version);
}

function flattenRefs(refs: readonly (string | EventReferencePair)[]): string[] {
  return refs.map((ref) => (typeof ref === 'string' ? ref : ref[0]));
}

/**
 * Normalises a validated PDU for the auth rules and state resolution: reference pairs become
 * IDs, the event ID is filled in (pass it when already known to skip hashing), v12 create events
 * get their derived room ID, and `redacts` is read from wherever the version keeps it.
 */
export function toRoomEvent(pdu: Pdu, version: RoomVersion, eventId?: string): RoomEvent {
  const event_id = eventId ?? computeEventId(pdu, version);
  let room_id = pdu.room_id;
  if (version.roomIdFromCreateEvent && pdu.type === 'm.room.create') room_id = roomIdFromCreateEventId(event_id);
  if (typeof room_id !== 'string') fail('room_id', 'required');

  let redacts: JsonValue | undefined;
  if (version.redactsInContent) {
    redacts = Object.hasOwn(pdu.content, 'redacts') ? pdu.content.redacts : undefined;
  } else {
    redacts = Object.hasOwn(pdu, 'redacts') ? pdu.redacts : undefined;
  }

  const event: {
    -readonly [K in keyof RoomEvent]: RoomEvent[K];
  } = {
    event_id,
    room_id,
    type: pdu.type,
    sender: pdu.sender,
    content: pdu.content,
    prev_events: flattenRefs(pdu.prev_events),
    auth_events: flattenRefs(pdu.auth_events),
    origin_server_ts: pdu.origin_server_ts,
    depth: pdu.depth,
  };
  if (typeof pdu.state_key === 'string') event.state_key = pdu.state_key;
  if (typeof redacts === 'string') event.redacts = redacts;
  return event;
}
