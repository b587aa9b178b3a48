import { isJsonObject, type JsonObject } from '../../core/json.js';
import type { StateEntry } from '../../storage/state-repo.js';
import type { TimelineEvent } from '../../storage/timeline-repo.js';
import { positionBefore, topoToken } from '../timeline/pagination-token.js';
import type { SyncContext, RoomSyncKind } from './context.js';
import type { EventMatcher } from './filter.js';
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

export function eventMatches(matcher: EventMatcher, e: { type: string; sender: string; json: string }): boolean {
  let content: JsonObject | undefined;
  if (matcher.needsContent) {
    const parsed: unknown = (JSON.parse(e.json) as { content?: unknown }).content;
    content = isJsonObject(parsed) ? parsed : {};
  }
  return matcher.matches(e.type, e.sender, undefined, content);
}

export function buildRoomEntry(ctx: SyncContext, w: RoomWindow, withSummary: boolean): RoomEntry {
  const { storage, visibility, serializer } = ctx.deps;
  const allows = w.joinedThroughout ? undefined : visibility.rulesFor(ctx.userId, w.roomId).allows;
  const { events, limited } = loadTimeline(ctx, w, allows);

  let summary: JsonObject | undefined;
  let heroes: string[] = [];
  const membersInTimeline = events.some((e) => e.type === 'm.room.member');
  if (withSummary && (w.kind === 'full' || membersInTimeline || limited)) {
    ({ summary, heroes } = roomSummary(ctx, w.roomId));
  }

  const stateIds = stateEntries(ctx, w, events, limited, heroes);
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

/**
 * The state section (as state entries):
 * - full: the whole state before the timeline (members trimmed when lazy-loading);
 * - incremental after a gap (limited): what changed between `since` and the timeline's start;
 * - incremental without a gap: nothing, except lazy-loaded members the client lacks.
 * Lazy loading keeps the members of the timeline's senders (and heroes, and oneself on a full
 * sync) and, per spec, every membership change in a gap.
 */
function stateEntries(ctx: SyncContext, w: RoomWindow, timeline: readonly TimelineEvent[], limited: boolean, heroes: readonly string[]): StateEntry[] {
  const { roomState, lazyMembers } = ctx.deps;
  const lazy = ctx.filter.room.state.lazyLoadMembers;
  const first = timeline[0];
  const needed = new Set<string>(heroes);
  for (const e of timeline) needed.add(e.sender);

  if (w.kind === 'full') {
    needed.add(ctx.userId);
    const start = first ? roomState.before(first) : roomState.afterStream(w.roomId, w.to);
    const out: StateEntry[] = [];
    for (const entry of start.values()) if (!lazy || entry.type !== 'm.room.member' || needed.has(entry.stateKey)) out.push(entry);
    return out;
  }
  if (!first) return [];

  const out: StateEntry[] = [];
  if (limited) {
    const start = roomState.before(first);
    const base = roomState.afterStream(w.roomId, w.from);
    for (const [key, entry] of start) if (base.get(key)?.eventId !== entry.eventId) out.push(entry);
  }
  if (lazy) {
    const since = ctx.since?.events ?? 0;
    const redundantOk = ctx.filter.room.state.includeRedundantMembers;
    const present = new Set(out.filter((e) => e.type === 'm.room.member').map((e) => e.stateKey));
    for (const userId of needed) {
      if (present.has(userId)) continue;
      const eventId = roomState.lookupBefore(first, 'm.room.member', userId);
      if (eventId === undefined) continue;
      if (!redundantOk && lazyMembers.has(ctx.userId, ctx.deviceId, w.roomId, userId, eventId, since)) continue;
      out.push({ type: 'm.room.member', stateKey: userId, eventId });
    }
  }
  return out;
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
