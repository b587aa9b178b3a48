import { isJsonObject, type JsonObject } from '../../core/json.js';
import type { TimelineEvent } from '../../storage/timeline-repo.js';
import { positionBefore, topoToken } from '../timeline/pagination-token.js';
import { ignoreFilter } from '../timeline/visibility.js';
import type { SyncContext, RoomSyncKind } from './context.js';
import { eventMatches } from './filter.js';
import { stateAfterTimeline, stateBeforeTimeline } from './state-section.js';
import { serializeSyncToken } from './token.js';

/**
 * One room of the `join` or `leave` section: its timeline (newest events of a stream window,
 * filtered, `limited` with `prev_batch` when there is more), its state (full state before the
 * timeline, or the delta across a gap), and — for joined rooms — the summary.
 */

export interface RoomWindow {
  readonly roomId: string;
  readonly kind: RoomSyncKind;
  /** Timeline events come from stream positions (from, to]. */
  readonly from: number;
  readonly to: number;
  /** The user was joined over the whole window: every event in it is visible, no check needed. */
  readonly joinedThroughout: boolean;
}

export interface RoomEntry {
  readonly timeline: JsonObject;
  /** The state before the timeline, or (use_state_after) the state at its end. */
  readonly state: JsonObject[];
  readonly summary: JsonObject | undefined;
  /** Whether the timeline or state carries anything. */
  readonly hasEvents: boolean;
  /** Member events the response carries (user → event ID), for the lazy-loading cache. */
  readonly membersSent: Map<string, string>;
}

/** Bounds the rows one room's timeline may read when a filter drops most of them. */
const MAX_SCANNED = 2000;
const HERO_COUNT = 5;
/** Stream position below every event, backfilled ones included (they are negative). */
export const BEFORE_ALL = Number.MIN_SAFE_INTEGER;

export function buildRoomEntry(ctx: SyncContext, w: RoomWindow, withSummary: boolean): RoomEntry {
  const { storage, visibility, serializer } = ctx.deps;
  // Joined throughout the window: everything is visible, but for what the user ignores.
  const allows = w.joinedThroughout ? ignoreFilter(ctx.ignored) : visibility.rulesFor(ctx.userId, w.roomId, ctx.ignored).allows;
  const { events, limited } = loadTimeline(ctx, w, allows);

  let summary: JsonObject | undefined;
  let heroes: string[] = [];
  const membersInTimeline = events.some((e) => e.type === 'm.room.member');
  if (withSummary && (w.kind === 'full' || membersInTimeline || limited)) {
    ({ summary, heroes } = roomSummary(ctx, w.roomId));
  }

  const stateIds = (ctx.stateAfter ? stateAfterTimeline : stateBeforeTimeline)(ctx, w, events, limited, heroes);
  const stateMatcher = ctx.filter.room.state;
  const loaded = storage.timeline.getStateEvents(stateIds.map((s) => s.eventId));
  let stateEvents = stateIds.map((s) => loaded.get(s.eventId)).filter((e): e is TimelineEvent => e !== undefined && eventMatches(stateMatcher, e));
  if (stateMatcher.limit !== undefined) stateEvents = stateEvents.slice(0, stateMatcher.limit);
  if (summary === undefined && withSummary && stateEvents.some((e) => e.type === 'm.room.member')) ({ summary } = roomSummary(ctx, w.roomId));

  const options = { viewer: { userId: ctx.userId, deviceId: ctx.deviceId }, format: ctx.filter.eventFormat, eventFields: ctx.filter.eventFields, omitRoomId: true };
  const timeline: JsonObject = { events: serializer.serialize(events, options), limited };
  const first = events[0];
  timeline['prev_batch'] = first ? topoToken(positionBefore(first)) : serializeSyncToken(ctx.now);

  const membersSent = new Map<string, string>();
  for (const e of [...stateEvents, ...events]) if (e.type === 'm.room.member' && e.stateKey !== null) membersSent.set(e.stateKey, e.eventId);
  return {
    timeline,
    state: serializer.serialize(stateEvents, options),
    summary,
    hasEvents: events.length > 0 || stateEvents.length > 0,
    membersSent,
  };
}

/** The newest events of the window that pass the timeline filter (and visibility), oldest first. */
function loadTimeline(ctx: SyncContext, w: RoomWindow, allows: ((e: TimelineEvent) => boolean) | undefined): { events: TimelineEvent[]; limited: boolean } {
  const matcher = ctx.filter.room.timeline;
  const limit = matcher.limit ?? 0;
  const matched: TimelineEvent[] = [];
  let upper = w.to;
  let scanned = 0;
  let exhausted = false;
  while (matched.length <= limit && scanned < MAX_SCANNED) {
    // One more than wanted tells whether the window holds more; a little slack for filtered events.
    const want = Math.min(Math.max((limit + 1 - matched.length) * 2, 16), 500);
    const batch = ctx.deps.storage.timeline.newestBetween(w.roomId, w.from, upper, want);
    scanned += batch.length;
    for (const e of batch) {
      if (!eventMatches(matcher, e) || (allows && !allows(e))) continue;
      matched.push(e);
      if (matched.length > limit) break;
    }
    if (batch.length < want) {
      exhausted = true;
      break;
    }
    upper = batch[batch.length - 1]!.streamOrdering - 1;
  }
  return { events: matched.slice(0, limit).reverse(), limited: matched.length > limit || !exhausted };
}

/** m.joined_member_count, m.invited_member_count, and m.heroes when the room has no name or alias. */
function roomSummary(ctx: SyncContext, roomId: string): { summary: JsonObject; heroes: string[] } {
  const { storage } = ctx.deps;
  const counts = storage.roomReads.memberCounts(roomId);
  const summary: JsonObject = { 'm.joined_member_count': counts.joined, 'm.invited_member_count': counts.invited };
  const named = hasNonEmpty(ctx, roomId, 'm.room.name', 'name') || hasNonEmpty(ctx, roomId, 'm.room.canonical_alias', 'alias');
  const heroes = named ? [] : storage.roomReads.heroes(roomId, ctx.userId, HERO_COUNT);
  if (!named) summary['m.heroes'] = heroes;
  return { summary, heroes };
}

function hasNonEmpty(ctx: SyncContext, roomId: string, type: string, key: string): boolean {
  const eventId = ctx.deps.storage.state.current(roomId, type, '');
  if (eventId === undefined) return false;
  const event = ctx.deps.storage.timeline.getStateEvents([eventId]).get(eventId);
  if (!event || event.redactedBy !== null) return false;
  const content: unknown = (JSON.parse(event.json) as { content?: unknown }).content;
  const value = isJsonObject(content) ? content[key] : undefined;
  return typeof value === 'string' && value.length > 0;
}
