import { isJsonObject, type JsonObject, type JsonValue } from '../../core/json.js';
import { invalidParam } from '../errors.js';

/**
 * Sync filters (spec "Filtering") as matchers. A filter arrives as a stored filter ID or inline
 * JSON; either way it is read leniently into this shape (a member of the wrong type counts as
 * absent), as Synapse does for stored filters it already validated on upload.
 */

export interface EventMatcher {
  readonly limit: number | undefined;
  /** Whether `matches` looks at content (contains_url): callers parse it only then. */
  readonly needsContent: boolean;
  matches(type: string, sender: string, roomId?: string, content?: JsonObject): boolean;
  /** Whether some event of this type could pass (senders and rooms aside; false if limit is 0). */
  admitsType(type: string): boolean;
  matchesRoom(roomId: string): boolean;
}

export interface RoomEventMatcher extends EventMatcher {
  readonly lazyLoadMembers: boolean;
  readonly includeRedundantMembers: boolean;
}

export interface SyncFilter {
  readonly eventFields: readonly string[] | undefined;
  readonly eventFormat: 'client' | 'federation';
  readonly presence: EventMatcher;
  readonly accountData: EventMatcher;
  readonly room: {
    readonly includeLeave: boolean;
    /**
     * Joined rooms carry `unread_notifications`. Lattice's filter extension
     * `room["org.lattice.unread_notifications"]: false` leaves them out: a sensor has no badge to
     * show, and the counts are some 60 bytes of every CoAP notification.
     */
    readonly unreadNotifications: boolean;
    matchesRoom(roomId: string): boolean;
    readonly timeline: RoomEventMatcher;
    readonly state: RoomEventMatcher;
    readonly ephemeral: RoomEventMatcher;
    readonly accountData: RoomEventMatcher;
  };
}

/** The room filter member that turns unread counts off (see SyncFilter.room.unreadNotifications). */
export const UNREAD_NOTIFICATIONS_EXTENSION = 'org.lattice.unread_notifications';

/** Synapse's default timeline limit when the filter sets none. */
export const DEFAULT_TIMELINE_LIMIT = 10;
/** Bounds what one request can make us load per room. */
export const MAX_TIMELINE_LIMIT = 1000;

function strings(value: JsonValue | undefined): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

function objectAt(obj: JsonObject | undefined, key: string): JsonObject | undefined {
  const v = obj?.[key];
  return isJsonObject(v) ? v : undefined;
}

/** A type pattern: `*` matches any run of characters (spec: "A '*' can be used as a wildcard"). */
function typeMatcher(patterns: readonly string[]): (type: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const wild = patterns
    .filter((p) => p.includes('*'))
    .map((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's'));
  return (type) => exact.has(type) || wild.some((re) => re.test(type));
}

function eventMatcher(raw: JsonObject | undefined, defaultLimit?: number): RoomEventMatcher {
  const types = strings(raw?.['types']);
  const notTypes = strings(raw?.['not_types']);
  const senders = strings(raw?.['senders']);
  const notSenders = strings(raw?.['not_senders']);
  const rooms = strings(raw?.['rooms']);
  const notRooms = strings(raw?.['not_rooms']);
  const containsUrl = typeof raw?.['contains_url'] === 'boolean' ? raw['contains_url'] : undefined;
  const rawLimit = raw?.['limit'];
  const limit = typeof rawLimit === 'number' && Number.isInteger(rawLimit) && rawLimit >= 0 ? rawLimit : defaultLimit;

  const typeIn = types && typeMatcher(types);
  const typeOut = notTypes && typeMatcher(notTypes);
  const senderIn = senders && new Set(senders);
  const senderOut = notSenders && new Set(notSenders);
  const roomIn = rooms && new Set(rooms);
  const roomOut = notRooms && new Set(notRooms);

  const matchesRoom = (roomId: string): boolean => !(roomOut?.has(roomId) ?? false) && (roomIn?.has(roomId) ?? true);
  return {
    limit,
    needsContent: containsUrl !== undefined,
    lazyLoadMembers: raw?.['lazy_load_members'] === true,
    includeRedundantMembers: raw?.['include_redundant_members'] === true,
    matchesRoom,
    admitsType: (type) => limit !== 0 && !typeOut?.(type) && (typeIn === undefined || typeIn(type)),
    matches(type, sender, roomId, content) {
      if (typeOut?.(type) || senderOut?.has(sender)) return false;
      if (typeIn && !typeIn(type)) return false;
      if (senderIn && !senderIn.has(sender)) return false;
      if (roomId !== undefined && !matchesRoom(roomId)) return false;
      if (containsUrl !== undefined && content !== undefined) {
        const hasUrl = typeof content['url'] === 'string';
        if (hasUrl !== containsUrl) return false;
      }
      return true;
    },
  };
}

/** A RoomEventFilter on its own (/messages and /context take one as JSON in `filter`). */
export function parseRoomEventFilter(param: string | undefined): RoomEventMatcher {
  if (param === undefined || param === '') return eventMatcher(undefined);
  let value: unknown;
  try {
    value = JSON.parse(param);
  } catch {
    throw invalidParam('filter is not valid JSON');
  }
  if (!isJsonObject(value)) throw invalidParam('filter must be a JSON object');
  return eventMatcher(value);
}

export function parseSyncFilter(raw: JsonObject | undefined): SyncFilter {
  const room = objectAt(raw, 'room');
  const roomMatcher = eventMatcher(room);
  const timeline = eventMatcher(objectAt(room, 'timeline'), DEFAULT_TIMELINE_LIMIT);
  const fields = strings(raw?.['event_fields']);
  return {
    eventFields: fields,
    eventFormat: raw?.['event_format'] === 'federation' ? 'federation' : 'client',
    presence: eventMatcher(objectAt(raw, 'presence')),
    accountData: eventMatcher(objectAt(raw, 'account_data')),
    room: {
      includeLeave: room?.['include_leave'] === true,
      unreadNotifications: room?.[UNREAD_NOTIFICATIONS_EXTENSION] !== false,
      matchesRoom: roomMatcher.matchesRoom,
      timeline: { ...timeline, limit: Math.min(timeline.limit ?? DEFAULT_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT) },
      state: eventMatcher(objectAt(room, 'state')),
      ephemeral: eventMatcher(objectAt(room, 'ephemeral')),
      accountData: eventMatcher(objectAt(room, 'account_data')),
    },
  };
}

/** Whether a stored event passes the matcher (its content is parsed only for contains_url). */
export function eventMatches(matcher: EventMatcher, e: { readonly type: string; readonly sender: string; readonly json: string }): boolean {
  let content: JsonObject | undefined;
  if (matcher.needsContent) {
    const parsed: unknown = (JSON.parse(e.json) as { content?: unknown }).content;
    content = isJsonObject(parsed) ? parsed : {};
  }
  return matcher.matches(e.type, e.sender, undefined, content);
}

/**
 * The /sync `filter` parameter: inline JSON when it starts with `{`, else a stored filter ID
 * looked up by `findStored`.
 */
export function resolveFilterParam(param: string | undefined, findStored: (id: string) => JsonObject | undefined): SyncFilter {
  if (param === undefined || param === '') return parseSyncFilter(undefined);
  if (param.trimStart().startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(param);
    } catch {
      throw invalidParam('filter is not valid JSON');
    }
    if (!isJsonObject(value)) throw invalidParam('filter must be a JSON object');
    return parseSyncFilter(value);
  }
  const stored = findStored(param);
  if (!stored) throw invalidParam(`No filter with ID ${param}`);
  return parseSyncFilter(stored);
}

/**
 * `event_fields`: keeps only the listed fields (dot-separated paths, `\.` for a literal dot).
 * Applied last, to the client-format event.
 */
export function projectFields(event: JsonObject, fields: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const field of fields) {
    const path = field.split(/(?<!\\)\./).map((p) => p.replace(/\\\./g, '.'));
    let src: JsonValue | undefined = event;
    for (const key of path) src = isJsonObject(src) && Object.hasOwn(src, key) ? src[key] : undefined;
    if (src === undefined) continue;
    let dst = out;
    for (const key of path.slice(0, -1)) {
      const next = dst[key];
      if (isJsonObject(next)) dst = next;
      else dst = dst[key] = {};
    }
    dst[path[path.length - 1]!] = src;
  }
  return out;
}
