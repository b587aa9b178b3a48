import type { JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import type { TimelineEvent, TopoPosition } from '../../storage/timeline-repo.js';
import { forbidden, notFound } from '../errors.js';
import type { Requester } from '../requester.js';
import { eventMatches, parseRoomEventFilter } from '../sync/filter.js';
import type { ClientEventSerializer } from './client-event.js';
import { parsePaginationToken, positionAt, positionBefore, topoToken } from './pagination-token.js';
import type { RoomStateAt } from './room-state.js';
import type { VisibilityChecker } from './visibility.js';

/**
 * Reading a room's history: /messages (pagination in topological order, both directions, with
 * `from`/`to` tokens and a RoomEventFilter), /context (an event with its neighbours and the
 * state there) and timestamp_to_event. Access follows history visibility; a user who left sees
 * the room up to their leave.
 */

export interface MessagesParams {
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly dir: 'b' | 'f';
  readonly limit: number | undefined;
  readonly filter: string | undefined;
}

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 1000;
/** Rows read per request at most when the filter or visibility hides most events. */
const MAX_SCANNED = 5000;
const LOWEST: TopoPosition = { depth: Number.MIN_SAFE_INTEGER, stream: Number.MIN_SAFE_INTEGER };

function compare(a: TopoPosition, b: TopoPosition): number {
  return a.depth !== b.depth ? a.depth - b.depth : a.stream - b.stream;
}

export class TimelineService {
  constructor(
    private readonly storage: Storage,
    private readonly serializer: ClientEventSerializer,
    private readonly visibility: VisibilityChecker,
    private readonly roomState: RoomStateAt,
  ) {}

  /** GET /rooms/{roomId}/messages. */
  messages(requester: Requester, roomId: string, params: MessagesParams): JsonObject {
    const limit = Math.min(params.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
    const matcher = parseRoomEventFilter(params.filter);
    const horizon = this.horizon(requester.userId, roomId);
    const backwards = params.dir === 'b';

    let from: TopoPosition;
    if (params.from === undefined) from = backwards ? horizon : LOWEST;
    else from = this.resolve(roomId, params.from);
    if (compare(from, horizon) > 0) from = horizon;
    let to = params.to === undefined ? undefined : this.resolve(roomId, params.to);
    // Going forwards, nothing past what the user may see.
    if (!backwards && (to === undefined || compare(to, horizon) > 0)) to = horizon;

    const rules = this.visibility.rulesFor(requester.userId, roomId);
    const beyond = (at: TopoPosition): boolean => to !== undefined && (backwards ? compare(at, to) <= 0 : compare(at, to) > 0);
    const chunk: TimelineEvent[] = [];
    let cursor = from;
    let scanned = 0;
    let more = true;
    fill: while (chunk.length < limit && scanned < MAX_SCANNED) {
      const want = Math.min(Math.max((limit - chunk.length) * 2, 20), 500);
      const batch = backwards ? this.storage.timeline.before(roomId, cursor, want) : this.storage.timeline.after(roomId, cursor, want);
      for (const e of batch) {
        const at = positionAt(e);
        if (beyond(at)) {
          more = false;
          break fill;
        }
        scanned++;
        cursor = backwards ? positionBefore(e) : at;
        if (eventMatches(matcher, e) && rules.allows(e)) chunk.push(e);
        if (chunk.length >= limit) break fill;
      }
      if (batch.length < want) {
        more = false;
        break;
      }
    }
    // A full page may have ended exactly at the last event: look one further, so `end` is
    // omitted exactly when nothing is left (clients read that as the start of the room).
    if (more && chunk.length >= limit) {
      const next = backwards ? this.storage.timeline.before(roomId, cursor, 1)[0] : this.storage.timeline.after(roomId, cursor, 1)[0];
      more = next !== undefined && !beyond(positionAt(next));
    }
    const viewer = { userId: requester.userId, deviceId: requester.deviceId };
    const body: JsonObject = {
      start: params.from ?? topoToken(from),
      chunk: this.serializer.serialize(chunk, { viewer }),
    };
    if (more) body['end'] = topoToken(cursor);
    if (matcher.lazyLoadMembers && chunk.length > 0) {
      const newest = backwards ? chunk[0]! : chunk[chunk.length - 1]!;
      body['state'] = this.membersFor(chunk, newest, viewer);
    }
    return body;
  }

  /** GET /rooms/{roomId}/context/{eventId}. */
  context(requester: Requester, roomId: string, eventId: string, limitParam: number | undefined, filterParam: string | undefined): JsonObject {
    const event = this.storage.timeline.get(eventId);
    const rules = this.visibility.rulesFor(requester.userId, roomId);
    if (!event || event.roomId !== roomId || !rules.allows(event)) throw notFound('Event not found');
    const limit = Math.min(limitParam ?? DEFAULT_LIMIT, MAX_LIMIT);
    const matcher = parseRoomEventFilter(filterParam);
    const horizon = this.horizon(requester.userId, roomId);
    const keep = (e: TimelineEvent): boolean => eventMatches(matcher, e) && rules.allows(e);

    const beforeLimit = Math.floor(limit / 2);
    const afterLimit = limit - beforeLimit;
    const before = this.collect(roomId, positionBefore(event), 'b', beforeLimit, keep, undefined);
    const after = this.collect(roomId, positionAt(event), 'f', afterLimit, keep, horizon);
    const viewer = { userId: requester.userId, deviceId: requester.deviceId };
    const last = after.events.at(-1) ?? event;
    const body: JsonObject = {
      event: this.serializer.serialize([event], { viewer })[0]!,
      events_before: this.serializer.serialize(before.events, { viewer }),
      events_after: this.serializer.serialize(after.events, { viewer }),
      start: topoToken(before.cursor),
      end: topoToken(after.cursor),
    };
    // The state at the last event returned (spec); lazy loading keeps only the senders' members.
    if (matcher.lazyLoadMembers) {
      body['state'] = this.membersFor([...before.events, event, ...after.events], last, viewer);
    } else {
      const state = this.roomState.after(last);
      const loaded = this.storage.timeline.getStateEvents([...state.values()].map((s) => s.eventId));
      body['state'] = this.serializer.serialize([...loaded.values()], { viewer });
    }
    return body;
  }

  /** GET /rooms/{roomId}/timestamp_to_event: the closest event the user may see. */
  eventAt(requester: Requester, roomId: string, ts: number, dir: 'f' | 'b'): JsonObject {
    const rules = this.visibility.rulesFor(requester.userId, roomId);
    const found = this.storage.timeline.closestByTimestamp(roomId, ts, dir);
    if (!found || !rules.allows(found)) throw notFound(`Unable to find event ${dir === 'f' ? 'after' : 'before'} ${ts} in room ${roomId}`);
    return { event_id: found.eventId, origin_server_ts: found.originServerTs };
  }

  /**
   * The furthest point the user may read to: the room's end while joined (or for a
   * world-readable room), their leave event after they left. Never in the room: forbidden.
   */
  private horizon(userId: string, roomId: string): TopoPosition {
    const room = this.storage.rooms.get(roomId);
    if (!room) throw forbidden('You are not allowed to view this room');
    const current = this.storage.memberships.current(roomId, userId);
    const end = this.storage.timeline.topologicalEndAtOrBefore(roomId, Number.MAX_SAFE_INTEGER);
    const endPos = end ? positionAt(end) : LOWEST;
    if (current?.membership === 'join') return endPos;
    if (this.worldReadable(roomId)) return endPos;
    if (current && (current.membership === 'leave' || current.membership === 'ban' || current.membership === 'invite' || current.membership === 'knock')) {
      const own = this.storage.timeline.getStateEvents([current.eventId]).get(current.eventId);
      const everJoined = this.storage.roomReads.membershipHistory(userId, roomId).some((m) => m.membership === 'join');
      if (own && (everJoined || current.membership === 'invite')) return positionAt(own);
    }
    throw forbidden('You are not allowed to view this room');
  }

  private worldReadable(roomId: string): boolean {
    const id = this.storage.state.current(roomId, 'm.room.history_visibility', '');
    const event = id === undefined ? undefined : this.storage.timeline.getStateEvents([id]).get(id);
    if (!event) return false;
    const content = (JSON.parse(event.json) as { content?: { history_visibility?: unknown } }).content;
    return content?.history_visibility === 'world_readable';
  }

  /** A token position from a /messages or sync token. */
  private resolve(roomId: string, token: string): TopoPosition {
    const parsed = parsePaginationToken(token);
    if (parsed.kind === 'topo') return parsed.pos;
    const last = this.storage.timeline.topologicalEndAtOrBefore(roomId, parsed.stream);
    return last ? positionAt(last) : LOWEST;
  }

  private collect(
    roomId: string,
    start: TopoPosition,
    dir: 'b' | 'f',
    limit: number,
    keep: (e: TimelineEvent) => boolean,
    horizon: TopoPosition | undefined,
  ): { events: TimelineEvent[]; cursor: TopoPosition } {
    const events: TimelineEvent[] = [];
    let cursor = start;
    let scanned = 0;
    while (events.length < limit && scanned < MAX_SCANNED) {
      const batch = dir === 'b' ? this.storage.timeline.before(roomId, cursor, 50) : this.storage.timeline.after(roomId, cursor, 50);
      for (const e of batch) {
        if (horizon && compare(positionAt(e), horizon) > 0) return { events, cursor };
        scanned++;
        cursor = dir === 'b' ? positionBefore(e) : positionAt(e);
        if (keep(e)) events.push(e);
        if (events.length >= limit) break;
      }
      if (batch.length < 50) break;
    }
    if (dir === 'b') events.reverse();
    return { events, cursor };
  }

  /** The member events of the senders of `events`, from the state after `at`. */
  private membersFor(events: readonly TimelineEvent[], at: TimelineEvent, viewer: { userId: string; deviceId: string }): JsonObject[] {
    const ids: string[] = [];
    for (const sender of new Set(events.map((e) => e.sender))) {
      const id = this.roomState.lookupAfter(at, 'm.room.member', sender);
      if (id !== undefined) ids.push(id);
    }
    const loaded = this.storage.timeline.getStateEvents(ids);
    return this.serializer.serialize(ids.map((id) => loaded.get(id)).filter((e): e is TimelineEvent => e !== undefined), { viewer });
  }
}
