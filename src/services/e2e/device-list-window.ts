import type { Storage } from '../../storage/storage.js';

/**
 * Whose device lists a user must refetch after a window of the streams, and whom they stop
 * tracking: the `device_lists` of an incremental /sync and the answer of GET /keys/changes.
 * As Synapse computes it:
 * - changed: users sharing a room with the user (or the user) with a device-list change in the
 *   window, users whose keys the user signed, everyone in rooms the user joined in the window,
 *   users who joined (or were invited to) one of the user's rooms in the window;
 * - left: users with whom the user shares no room any more after someone left in the window
 *   (them, or the user).
 * Reads only windows: the user's membership changes, membership events of rooms with events in
 * the window, device-list rows in the window.
 */

export interface DeviceListWindow {
  readonly changed: string[];
  readonly left: string[];
}

/** The positions a window runs between (sync tokens carry both). */
export interface WindowBound {
  readonly events: number;
  readonly deviceLists: number;
}

/** Reading the window's change rows is cheaper than asking per room-mate up to this many users. */
const MAX_CHANGED_USERS_SCANNED = 1000;
/** Scanning the events window beats one seek per joined room up to this many events per room. */
const EVENTS_PER_ROOM_SEEK = 20;

const present = (membership: string | undefined): boolean => membership === 'join' || membership === 'invite';

export function deviceListChanges(storage: Storage, userId: string, since: WindowBound, now: WindowBound): DeviceListWindow {
  // Most long-poll wake-ups move one stream: nothing to look at when neither of these moved.
  if (since.events >= now.events && since.deviceLists >= now.deviceLists) return { changed: [], left: [] };
  const joined = new Set(storage.memberships.roomsOfUser(userId, 'join'));
  const changed = new Set<string>();
  const leftCandidates = new Set<string>();
  const joinedMembers = (roomId: string): string[] => storage.memberships.members(roomId, 'join').map((m) => m.userId);
  const membershipBefore = (who: string, roomId: string): string | undefined =>
    storage.roomReads
      .membershipHistory(who, roomId)
      .filter((m) => m.streamOrdering <= since.events)
      .at(-1)?.membership;

  // The user's own joins and leaves.
  const mine = new Map<string, string[]>();
  for (const change of storage.roomReads.membershipChanges(userId, since.events, now.events)) {
    let list = mine.get(change.roomId);
    if (!list) mine.set(change.roomId, (list = []));
    list.push(change.membership);
  }
  const newlyJoined = new Set<string>();
  for (const [roomId, memberships] of mine) {
    const before = membershipBefore(userId, roomId);
    if (joined.has(roomId)) {
      if (before !== 'join' || memberships.some((m) => m !== 'join')) newlyJoined.add(roomId);
    } else if (before === 'join' || memberships.includes('join')) {
      for (const member of joinedMembers(roomId)) leftCandidates.add(member);
    }
  }
  for (const roomId of newlyJoined) for (const member of joinedMembers(roomId)) if (member !== userId) changed.add(member);

  // Others joining and leaving the user's rooms.
  const windowEvents = now.events - since.events;
  const withEvents = windowEvents <= Math.max(200, joined.size * EVENTS_PER_ROOM_SEEK) ? storage.timeline.roomsWithEventsBetween(since.events, now.events) : undefined;
  for (const roomId of joined) {
    if (newlyJoined.has(roomId) || (withEvents && !withEvents.has(roomId))) continue;
    const byUser = new Map<string, string[]>();
    for (const change of storage.deviceLists.roomMembershipsBetween(roomId, since.events, now.events)) {
      if (change.userId === userId) continue;
      let list = byUser.get(change.userId);
      if (!list) byUser.set(change.userId, (list = []));
      list.push(change.membership);
    }
    for (const [other, memberships] of byUser) {
      if (!present(memberships.at(-1))) {
        leftCandidates.add(other);
        continue;
      }
      // A join after a join is a profile change, not news.
      const before = membershipBefore(other, roomId);
      if (memberships.some((m) => m !== before)) changed.add(other);
    }
  }

  // Device-list changes in the window.
  const rows = since.deviceLists >= now.deviceLists ? [] : storage.deviceLists.changedBetween(since.deviceLists, now.deviceLists, userId, MAX_CHANGED_USERS_SCANNED);
  if (rows) {
    for (const row of rows) {
      if (row.observed || row.userId === userId || storage.deviceLists.shareRoom(userId, row.userId)) changed.add(row.userId);
    }
  } else {
    const roomMates = new Set([userId]);
    for (const roomId of joined) for (const member of joinedMembers(roomId)) roomMates.add(member);
    for (const mate of roomMates) {
      if (storage.deviceLists.userChangedBetween(mate, since.deviceLists, now.deviceLists, userId)) changed.add(mate);
    }
    for (const target of storage.deviceLists.observedBetween(userId, since.deviceLists, now.deviceLists)) changed.add(target);
  }

  const left: string[] = [];
  for (const candidate of leftCandidates) {
    if (candidate === userId || storage.deviceLists.shareRoom(userId, candidate)) continue;
    left.push(candidate);
    changed.delete(candidate);
  }
  return { changed: [...changed].sort(), left: left.sort() };
}
