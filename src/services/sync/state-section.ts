import type { StateEntry } from '../../storage/state-repo.js';
import type { TimelineEvent } from '../../storage/timeline-repo.js';
import type { SyncContext } from './context.js';
import type { RoomWindow } from './room-entry.js';

/**
 * A room's state section in /sync, as state entries. Two flavours:
 * - `state` (the default): updates between `since` and the START of the timeline; the client
 *   applies the timeline's state events itself;
 * - `state_after` (use_state_after, spec v1.16 / MSC4222): updates between `since` and the END
 *   of the timeline; the client takes its state from there alone.
 * Lazy-loaded members: the timeline's senders (and heroes, and oneself on a full sync), each
 * sent once per device unless include_redundant_members; membership changes are never dropped
 * (the spec requires those of a gap).
 */

function neededMembers(ctx: SyncContext, w: RoomWindow, timeline: readonly TimelineEvent[], heroes: readonly string[]): Set<string> {
  const needed = new Set<string>(heroes);
  for (const e of timeline) needed.add(e.sender);
  if (w.kind === 'full') needed.add(ctx.userId);
  return needed;
}

/** Whether the device already holds this member event (and may be spared it). */
function isRedundant(ctx: SyncContext, roomId: string, userId: string, eventId: string): boolean {
  if (ctx.filter.room.state.includeRedundantMembers) return false;
  return ctx.deps.lazyMembers.has(ctx.userId, ctx.deviceId, roomId, userId, eventId, ctx.since?.events ?? 0);
}

/** Adds the needed members the section lacks, looked up with `lookup`, unless redundant. */
function addLazyMembers(ctx: SyncContext, roomId: string, out: StateEntry[], needed: ReadonlySet<string>, lookup: (userId: string) => string | undefined): void {
  const present = new Set(out.filter((e) => e.type === 'm.room.member').map((e) => e.stateKey));
  for (const userId of needed) {
    if (present.has(userId)) continue;
    const eventId = lookup(userId);
    if (eventId === undefined || isRedundant(ctx, roomId, userId, eventId)) continue;
    out.push({ type: 'm.room.member', stateKey: userId, eventId });
  }
}

/** A whole state, members trimmed to `needed` when lazy-loading. */
function wholeState(ctx: SyncContext, state: Iterable<StateEntry>, needed: ReadonlySet<string>): StateEntry[] {
  const lazy = ctx.filter.room.state.lazyLoadMembers;
  const out: StateEntry[] = [];
  for (const entry of state) if (!lazy || entry.type !== 'm.room.member' || needed.has(entry.stateKey)) out.push(entry);
  return out;
}

/**
 * `state`:
 * - full: the whole state before the timeline;
 * - incremental after a gap (limited): what changed between `since` and the timeline's start;
 * - incremental without a gap: nothing, except lazy-loaded members the client lacks.
 */
export function stateBeforeTimeline(ctx: SyncContext, w: RoomWindow, timeline: readonly TimelineEvent[], limited: boolean, heroes: readonly string[]): StateEntry[] {
  const { roomState } = ctx.deps;
  const first = timeline[0];
  const needed = neededMembers(ctx, w, timeline, heroes);
  if (w.kind === 'full') return wholeState(ctx, (first ? roomState.before(first) : roomState.afterStream(w.roomId, w.to)).values(), needed);
  if (!first) return [];

  const out: StateEntry[] = [];
  if (limited) {
    const start = roomState.before(first);
    const base = roomState.afterStream(w.roomId, w.from);
    for (const [key, entry] of start) if (base.get(key)?.eventId !== entry.eventId) out.push(entry);
  }
  if (ctx.filter.room.state.lazyLoadMembers) addLazyMembers(ctx, w.roomId, out, needed, (userId) => roomState.lookupBefore(first, 'm.room.member', userId));
  return out;
}

/**
 * `state_after`:
 * - full: the whole state at the end of the timeline;
 * - incremental after a gap: what differs between the state at `since` and at the end;
 * - incremental without a gap: the keys the timeline's state events set, as they stand at the
 *   end (no whole-state loads on the hot path of a steady long-poll).
 */
export function stateAfterTimeline(ctx: SyncContext, w: RoomWindow, timeline: readonly TimelineEvent[], limited: boolean, heroes: readonly string[]): StateEntry[] {
  const { roomState } = ctx.deps;
  const last = timeline.at(-1);
  const needed = neededMembers(ctx, w, timeline, heroes);
  if (w.kind === 'full') return wholeState(ctx, (last ? roomState.after(last) : roomState.afterStream(w.roomId, w.to)).values(), needed);
  if (!last) return [];

  const out: StateEntry[] = [];
  if (limited) {
    const end = roomState.after(last);
    const base = roomState.afterStream(w.roomId, w.from);
    for (const [key, entry] of end) if (base.get(key)?.eventId !== entry.eventId) out.push(entry);
  } else {
    const keys = new Map<string, { type: string; stateKey: string }>();
    for (const e of timeline) if (e.stateKey !== null) keys.set(JSON.stringify([e.type, e.stateKey]), { type: e.type, stateKey: e.stateKey });
    for (const { type, stateKey } of keys.values()) {
      const eventId = roomState.lookupAfter(last, type, stateKey);
      if (eventId !== undefined) out.push({ type, stateKey, eventId });
    }
  }
  if (ctx.filter.room.state.lazyLoadMembers) addLazyMembers(ctx, w.roomId, out, needed, (userId) => roomState.lookupAfter(last, 'm.room.member', userId));
  return out;
}
