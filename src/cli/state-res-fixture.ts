import { stateTupleKey, splitStateTupleKey, type RoomEvent, type StateMap, type StateTupleKey } from '../core/events/room-event.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../core/json.js';
import { requireRoomVersion, type RoomVersion } from '../core/room-versions.js';
import { compareCodePoints } from '../core/canonical-json.js';
import { CliError } from './command.js';

/**
 * The state-resolution fixture format of shared/spec/state-res (see its README): events with `id`
 * for the event ID, state maps keyed "type|state_key", and either `state_sets` to resolve or a
 * DAG to walk. Converted here into core RoomEvents and StateMaps; bad input is a CliError naming
 * the offending field.
 */
export interface StateResFixture {
  readonly name: string | undefined;
  readonly kind: 'dag' | 'state_sets';
  readonly roomVersion: RoomVersion;
  readonly events: RoomEvent[];
  /** kind "state_sets" only. */
  readonly stateSets: StateMap[];
  readonly expectedState: StateMap | undefined;
}

export function parseStateResFixture(value: JsonValue): StateResFixture {
  if (!isJsonObject(value)) throw new CliError('fixture must be a JSON object');
  const kind = value.kind;
  if (kind !== 'dag' && kind !== 'state_sets') throw new CliError('fixture "kind" must be "dag" or "state_sets"');
  const versionId = value.room_version;
  if (typeof versionId !== 'string') throw new CliError('fixture "room_version" must be a string');
  let roomVersion: RoomVersion;
  try {
    roomVersion = requireRoomVersion(versionId);
  } catch {
    throw new CliError(`unsupported room_version ${JSON.stringify(versionId)}`);
  }
  if (!Array.isArray(value.events)) throw new CliError('fixture "events" must be an array');
  const events = value.events.map((event, i) => fixtureEventToRoomEvent(event, `events[${i}]`));

  let stateSets: StateMap[] = [];
  if (kind === 'state_sets') {
    if (!Array.isArray(value.state_sets)) throw new CliError('fixture "state_sets" must be an array');
    stateSets = value.state_sets.map((set, i) => parseFixtureStateMap(set, `state_sets[${i}]`));
  }
  const expectedState = value.expected_state === undefined ? undefined : parseFixtureStateMap(value.expected_state, 'expected_state');
  const name = typeof value.name === 'string' ? value.name : undefined;
  return { name, kind, roomVersion, events, stateSets, expectedState };
}

/**
 * One fixture event as a RoomEvent: `id` → event_id; a create event without room_id (v12) gets
 * the room ID its event ID implies; a missing depth is 0. Hashes and signatures are not part of
 * the format and not checked.
 */
export function fixtureEventToRoomEvent(value: JsonValue, where = 'event'): RoomEvent {
  if (!isJsonObject(value)) throw new CliError(`${where} must be an object`);
  const eventId = requireString(value, 'id', where);
  const type = requireString(value, 'type', where);
  const sender = requireString(value, 'sender', where);
  let stateKey: string | undefined;
  if (value.state_key !== undefined) stateKey = requireString(value, 'state_key', where);
  let roomId: string;
  if (value.room_id !== undefined) roomId = requireString(value, 'room_id', where);
  else if (type === 'm.room.create' && stateKey === '' && eventId.startsWith('$')) roomId = '!' + eventId.slice(1);
  else throw new CliError(`${where}.room_id is missing`);
  const content = value.content;
  if (!isJsonObject(content)) throw new CliError(`${where}.content must be an object`);
  const originServerTs = value.origin_server_ts;
  if (typeof originServerTs !== 'number' || !Number.isSafeInteger(originServerTs)) {
    throw new CliError(`${where}.origin_server_ts must be an integer`);
  }
  const depth = value.depth ?? 0;
  if (typeof depth !== 'number' || !Number.isSafeInteger(depth)) throw new CliError(`${where}.depth must be an integer`);
  const event: {
    -readonly [K in keyof RoomEvent]: RoomEvent[K];
  } = {
    event_id: eventId,
    room_id: roomId,
    type,
    sender,
    content: content as JsonObject,
    prev_events: requireIdList(value, 'prev_events', where),
    auth_events: requireIdList(value, 'auth_events', where),
    origin_server_ts: originServerTs,
    depth,
  };
  if (stateKey !== undefined) event.state_key = stateKey;
  const redacts = value.redacts ?? (type === 'm.room.redaction' ? content.redacts : undefined);
  if (typeof redacts === 'string') event.redacts = redacts;
  return event;
}

/** `{"type|state_key": "event id"}` → StateMap (split at the first `|`). */
export function parseFixtureStateMap(value: JsonValue, where = 'state map'): StateMap {
  if (!isJsonObject(value)) throw new CliError(`${where} must be an object`);
  const map: StateMap = new Map();
  for (const [key, id] of Object.entries(value)) {
    const bar = key.indexOf('|');
    if (bar < 0) throw new CliError(`${where} key ${JSON.stringify(key)} is not "type|state_key"`);
    if (typeof id !== 'string') throw new CliError(`${where}[${JSON.stringify(key)}] must be an event ID string`);
    map.set(stateTupleKey(key.slice(0, bar), key.slice(bar + 1)), id);
  }
  return map;
}

/** StateMap → `{"type|state_key": "event id"}` with keys in code-point order (stable output). */
export function formatFixtureStateMap(state: StateMap): Record<string, string> {
  const entries: Array<[string, string]> = [];
  for (const [key, id] of state) {
    const [type, stateKey] = splitStateTupleKey(key as StateTupleKey);
    entries.push([`${type}|${stateKey}`, id]);
  }
  entries.sort((a, b) => compareCodePoints(a[0], b[0]));
  return Object.fromEntries(entries);
}

function requireString(object: JsonObject, field: string, where: string): string {
  const value = object[field];
  if (typeof value !== 'string') throw new CliError(`${where}.${field} must be a string`);
  return value;
}

function requireIdList(object: JsonObject, field: string, where: string): string[] {
  const value = object[field];
  if (!Array.isArray(value) || !value.every((id): id is string => typeof id === 'string')) {
    throw new CliError(`${where}.${field} must be an array of event ID strings`);
  }
  return value;
}
