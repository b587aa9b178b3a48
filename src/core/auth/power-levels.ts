import type { RoomEvent } from '../events/room-event.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import type { RoomVersion } from '../room-versions.js';
import { creatorsOf } from './create.js';
import { isValidUserId } from './identifiers.js';
import { ALLOW, reject, type AuthResult } from './result.js';

export { creatorsOf } from './create.js';

/** The single-valued levels of m.room.power_levels, which rule 10 compares one by one. */
export const POWER_LEVEL_FIELDS = [
  'users_default',
  'events_default',
  'state_default',
  'ban',
  'redact',
  'kick',
  'invite',
] as const;
export type PowerLevelField = (typeof POWER_LEVEL_FIELDS)[number];

/**
 * Levels used when a field is absent, and equally when the room has no m.room.power_levels event
 * at all. Note state_default is 50 in both cases: the old "0 without a power levels event" text
 * was removed from the spec in 2023 (matrix-spec#1479) as a leftover from before MSC1304.
 */
export const DEFAULT_POWER_LEVELS: Readonly<Record<PowerLevelField, number>> = Object.freeze({
  users_default: 0,
  events_default: 0,
  state_default: 50,
  ban: 50,
  redact: 50,
  kick: 50,
  invite: 0,
});

/** Before v12, the creator's level while the room has no m.room.power_levels event. */
export const CREATOR_DEFAULT_POWER_LEVEL = 100;

/** A validated m.room.power_levels content, with every value already a number. */
export interface PowerLevels {
  /** Only the fields present in the content; absent ones fall back to DEFAULT_POWER_LEVELS. */
  readonly fields: Readonly<Partial<Record<PowerLevelField, number>>>;
  readonly events: ReadonlyMap<string, number>;
  /** Parsed only where the room version's rules read it (v6+); empty before. */
  readonly notifications: ReadonlyMap<string, number>;
  readonly users: ReadonlyMap<string, number>;
}

// Leading zeros, one sign and surrounding whitespace are all allowed: the v1-v9 "stringy power
// levels" grammar, which is also what Python's int() (Synapse) accepts.
const INTEGER_STRING = /^\s*[+-]?\d+\s*$/;

/**
 * One power-level value, or undefined if it is not one. v10+ accepts only JSON integers (within
 * the canonical-JSON range). v1-v9 also accept strings holding an integer, and numbers with a
 * fraction are truncated (v1-v5 "floaty power levels"; v6+ PDUs cannot carry floats at all, and a
 * JSON `50.0` is indistinguishable from `50` once parsed, so no version check is needed here).
 */
export function parsePowerLevelValue(version: RoomVersion, value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number') {
    if (version.integerPowerLevels) return Number.isSafeInteger(value) ? value : undefined;
    return Number.isFinite(value) ? Math.trunc(value) + 0 : undefined;
  }
  if (typeof value === 'string' && !version.integerPowerLevels && INTEGER_STRING.test(value)) {
    const parsed = Number(value.trim());
    // A 400-digit string parses to Infinity: outside the range a double can hold, so invalid.
    return Number.isFinite(parsed) ? parsed + 0 : undefined;
  }
  return undefined;
}

type ParseResult = PowerLevels | { readonly error: string };

/**
 * Validates a power-levels content the way rule 10 does (10.1-10.3), for use both on the incoming
 * event and on the one in state. Stricter than the literal v1-v9 text in one respect, as ruma
 * is: any level that is present must parse (the spec's string grammar is a "must"), since a value
 * nobody can compare would make every later check undefined. Parsed once per content object and
 * version mode.
 */
export function parsePowerLevels(version: RoomVersion, content: JsonObject): PowerLevels | { readonly error: string } {
  const mode = (version.integerPowerLevels ? 'i' : 's') + (version.notificationsInPowerLevelAuth ? 'n' : '');
  let perMode = parseCache.get(content);
  if (!perMode) {
    perMode = new Map();
    parseCache.set(content, perMode);
  }
  let result = perMode.get(mode);
  if (!result) {
    result = parseUncached(version, content);
    perMode.set(mode, result);
  }
  return result;
}

const parseCache = new WeakMap<JsonObject, Map<string, ParseResult>>();

function parseUncached(version: RoomVersion, content: JsonObject): ParseResult {
  const fields: Partial<Record<PowerLevelField, number>> = {};
  for (const field of POWER_LEVEL_FIELDS) {
    if (!Object.hasOwn(content, field)) continue;
    const level = parsePowerLevelValue(version, content[field]);
    if (level === undefined) return { error: `power levels: ${field} is not an integer` };
    fields[field] = level;
  }

  const events = parseLevelMap(version, content, 'events');
  if (!(events instanceof Map)) return events;

  let notifications: Map<string, number> = new Map();
  if (version.notificationsInPowerLevelAuth) {
    const parsed = parseLevelMap(version, content, 'notifications');
    if (!(parsed instanceof Map)) return parsed;
    notifications = parsed;
  }

  const users = parseLevelMap(version, content, 'users');
  if (!(users instanceof Map)) return users;
  for (const userId of users.keys()) {
    if (!isValidUserId(userId)) return { error: `power levels: users key ${JSON.stringify(userId)} is not a user ID` };
  }

  return { fields, events, notifications, users };
}

function parseLevelMap(
  version: RoomVersion,
  content: JsonObject,
  key: 'events' | 'notifications' | 'users',
): Map<string, number> | { readonly error: string } {
  const map = new Map<string, number>();
  if (!Object.hasOwn(content, key)) return map;
  const value = content[key];
  if (!isJsonObject(value)) return { error: `power levels: ${key} is not an object` };
  for (const [name, raw] of Object.entries(value)) {
    const level = parsePowerLevelValue(version, raw);
    if (level === undefined) return { error: `power levels: ${key}[${JSON.stringify(name)}] is not an integer` };
    map.set(name, level);
  }
  return map;
}

/**
 * The power picture the rules consult: the parsed current power levels (if the room has any) and
 * the room creators.
 */
export interface RoomPower {
  readonly version: RoomVersion;
  readonly levels: PowerLevels | undefined;
  readonly creators: ReadonlySet<string>;
}

/** Builds the RoomPower for a state, or a reason if the power levels in that state are malformed. */
export function roomPower(
  version: RoomVersion,
  powerLevels: RoomEvent | undefined,
  create: RoomEvent,
): RoomPower | { readonly error: string } {
  let levels: PowerLevels | undefined;
  if (powerLevels) {
    const parsed = parsePowerLevels(version, powerLevels.content);
    if ('error' in parsed) return { error: `current ${parsed.error}` };
    levels = parsed;
  }
  return { version, levels, creators: creatorsOf(version, create) };
}

export function userLevel(power: RoomPower, userId: string): number {
  if (power.version.privilegedCreators && power.creators.has(userId)) return Infinity;
  if (power.levels) {
    return power.levels.users.get(userId) ?? power.levels.fields.users_default ?? DEFAULT_POWER_LEVELS.users_default;
  }
  return power.creators.has(userId) ? CREATOR_DEFAULT_POWER_LEVEL : DEFAULT_POWER_LEVELS.users_default;
}

/** Invite, kick, ban, redact level (or any other single field). */
export function namedLevel(power: RoomPower, field: PowerLevelField): number {
  return power.levels?.fields[field] ?? DEFAULT_POWER_LEVELS[field];
}

/** The "required power level" for sending an event of this type (and state-ness). */
export function requiredLevel(power: RoomPower, type: string, isState: boolean): number {
  const explicit = power.levels?.events.get(type);
  if (explicit !== undefined) return explicit;
  return namedLevel(power, isState ? 'state_default' : 'events_default');
}

/**
 * A user's power level: Infinity for v12 creators (sender + content.additional_creators of the
 * create event); with no power_levels event the creator gets 100 (pre-v12: content.creator, or
 * from v11 the create event's sender) and everyone else 0.
 *
 * For callers outside the rules (state resolution's power ordering, clients' views). A malformed
 * power levels event cannot reach state through the rules, but if one is handed in anyway this
 * degrades entry by entry to users_default and then 0 instead of failing.
 */
export function userPowerLevel(
  version: RoomVersion,
  userId: string,
  powerLevels: RoomEvent | undefined,
  create: RoomEvent | undefined,
): number {
  const creators = create ? creatorsOf(version, create) : new Set<string>();
  if (version.privilegedCreators && creators.has(userId)) return Infinity;
  if (powerLevels) {
    const parsed = parsePowerLevels(version, powerLevels.content);
    if (!('error' in parsed)) {
      return parsed.users.get(userId) ?? parsed.fields.users_default ?? DEFAULT_POWER_LEVELS.users_default;
    }
    const users = powerLevels.content.users;
    const own = isJsonObject(users) && Object.hasOwn(users, userId) ? parsePowerLevelValue(version, users[userId]) : undefined;
    return own ?? parsePowerLevelValue(version, powerLevels.content.users_default) ?? DEFAULT_POWER_LEVELS.users_default;
  }
  return creators.has(userId) ? CREATOR_DEFAULT_POWER_LEVEL : DEFAULT_POWER_LEVELS.users_default;
}

/**
 * Rule 10: m.room.power_levels, reached after the sender was found joined and allowed to send the
 * event type. `power` describes the state before the event.
 */
export function checkPowerLevelsEvent(version: RoomVersion, event: RoomEvent, power: RoomPower): AuthResult {
  // 10.1-10.3 (v1-v9: 10.1): value and user-ID validation.
  const next = parsePowerLevels(version, event.content);
  if ('error' in next) return reject(next.error);

  // 10.4 (v12): creators' power is implied and may not be written down (nor lowered).
  if (version.privilegedCreators) {
    for (const creator of power.creators) {
      if (next.users.has(creator)) return reject(`power levels may not list room creator ${creator} in users`);
    }
  }

  // 10.5: the first power levels event sets the scene freely (its sender already passed the
  // required-level check against the defaults).
  const current = power.levels;
  if (!current) return ALLOW;

  const senderLevel = userLevel(power, event.sender);

  // 10.6. "Current value" and "new value" are the effective levels, defaults included, as ruma
  // reads it: otherwise a user below the default could lower an absent kick/ban level, or remove
  // a low one to raise it to a default above their own. Synapse compares only present values.
  for (const field of POWER_LEVEL_FIELDS) {
    const before = current.fields[field];
    const after = next.fields[field];
    if (before === after) continue;
    if ((before ?? DEFAULT_POWER_LEVELS[field]) > senderLevel || (after ?? DEFAULT_POWER_LEVELS[field]) > senderLevel) {
      return reject(`power levels: sender may not change ${field}`);
    }
  }

  // 10.7, 10.8: events, and notifications from v6.
  const eventsChange = checkLevelMapChange(current.events, next.events, senderLevel, () => true);
  if (eventsChange !== undefined) return reject(`power levels: sender may not change the level of event type ${eventsChange}`);
  if (version.notificationsInPowerLevelAuth) {
    const notificationsChange = checkLevelMapChange(current.notifications, next.notifications, senderLevel, () => true);
    if (notificationsChange !== undefined) {
      return reject(`power levels: sender may not change the notification level ${notificationsChange}`);
    }
  }

  // 10.9, 10.10: users. Only the sender's own entry may be changed while at the sender's level
  // (so one can demote oneself, but not a peer).
  const usersChange = checkLevelMapChange(current.users, next.users, senderLevel, (userId) => userId !== event.sender, true);
  if (usersChange !== undefined) return reject(`power levels: sender may not change the level of ${usersChange}`);

  return ALLOW;
}

/**
 * Returns the first key whose change the sender may not make, or undefined. An entry changed or
 * removed is refused if its current value is above the sender's level (or at it, when
 * `refuseEqual` applies to that key); one added or changed is refused if its new value is above.
 */
function checkLevelMapChange(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  senderLevel: number,
  guarded: (key: string) => boolean,
  refuseEqual = false,
): string | undefined {
  const keys = new Set([...before.keys(), ...after.keys()]);
  for (const key of keys) {
    const old = before.get(key);
    const updated = after.get(key);
    if (old === updated) continue;
    if (old !== undefined && guarded(key) && (old > senderLevel || (refuseEqual && old === senderLevel))) return key;
    if (updated !== undefined && updated > senderLevel) return key;
  }
  return undefined;
}
