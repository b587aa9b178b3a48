import type { JsonObject } from '../../core/json.js';
import type { AccountDataEntry } from '../../storage/account-data-repo.js';
import type { SyncContext } from './context.js';
import type { EventMatcher } from './filter.js';

/** The per-user streams of a sync: account data (global and per room) and presence. */

/** The user's account data in the window (all of it on an initial sync), keyed by room ('' = global). */
export function accountDataByRoom(ctx: SyncContext): Map<string, AccountDataEntry[]> {
  const repo = ctx.deps.storage.accountData;
  const entries =
    ctx.since && !ctx.fullState
      ? repo.changedBetween(ctx.userId, ctx.since.accountData, ctx.now.accountData)
      : repo.all(ctx.userId, ctx.now.accountData);
  const byRoom = new Map<string, AccountDataEntry[]>();
  for (const entry of entries) {
    let list = byRoom.get(entry.roomId);
    if (!list) byRoom.set(entry.roomId, (list = []));
    list.push(entry);
  }
  return byRoom;
}

export function accountDataEvents(entries: readonly AccountDataEntry[] | undefined, matcher: EventMatcher, userId: string): JsonObject[] {
  if (!entries) return [];
  const events = entries.filter((e) => matcher.matches(e.type, userId)).map((e): JsonObject => ({ type: e.type, content: e.content }));
  return matcher.limit !== undefined ? events.slice(0, matcher.limit) : events;
}

/**
 * m.presence events of the user and of everyone sharing a room with them: every such user's
 * current presence on an initial sync, the changes in the window afterwards.
 */
export function presenceEvents(ctx: SyncContext, joinedRooms: readonly string[]): JsonObject[] {
  const matcher = ctx.filter.presence;
  if (!matcher.matches('m.presence', ctx.userId) && matcher.limit === 0) return [];
  const { storage, presence } = ctx.deps;
  let coMembers: Set<string> | undefined;
  const allCoMembers = (): Set<string> => {
    if (!coMembers) {
      coMembers = new Set([ctx.userId]);
      for (const roomId of joinedRooms) for (const m of storage.memberships.members(roomId, 'join')) coMembers.add(m.userId);
    }
    return coMembers;
  };

  const rows = [];
  if (ctx.since && !ctx.fullState) {
    const changed = storage.presence.changedBetween(ctx.since.presence, ctx.now.presence);
    // A few changes: ask per user; many: build the co-member set once.
    for (const p of changed) {
      const visible =
        p.userId === ctx.userId || (changed.length <= 8 ? storage.roomReads.shareARoom(ctx.userId, p.userId) : allCoMembers().has(p.userId));
      if (visible) rows.push(p);
    }
  } else {
    for (const userId of allCoMembers()) {
      const p = storage.presence.get(userId);
      if (p) rows.push(p);
    }
  }
  const events = rows
    .filter((p) => matcher.matches('m.presence', p.userId))
    .map((p): JsonObject => ({ type: 'm.presence', sender: p.userId, content: presence.content(p) }));
  return matcher.limit !== undefined ? events.slice(0, matcher.limit) : events;
}
