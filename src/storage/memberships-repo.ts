import type { Db } from './database.js';

/**
 * Membership, two views: the current membership of every user in every room (the
 * denormalised `membership` column of current_state, kept by the state writer), and the history
 * of membership events (room_memberships) for "what was X's membership at position P" and
 * "rooms X left". Also the rooms a user has forgotten.
 */

export interface CurrentMember {
  readonly userId: string;
  readonly membership: string;
  readonly eventId: string;
}

export interface UserRoomMembership {
  readonly roomId: string;
  readonly membership: string;
  readonly eventId: string;
}

export interface MembershipEventRow {
  readonly eventId: string;
  readonly roomId: string;
  readonly userId: string;
  readonly sender: string;
  readonly membership: string;
  readonly streamOrdering: number;
  readonly displayname: string | null;
  readonly avatarUrl: string | null;
}

export class MembershipsRepo {
  private readonly insertStmt;
  private readonly currentStmt;
  private readonly roomsOfUserStmt;
  private readonly allRoomsOfUserStmt;
  private readonly membersStmt;
  private readonly membersWithStmt;
  private readonly countStmt;
  private readonly forgetStmt;
  private readonly unforgetStmt;
  private readonly forgottenStmt;

  private readonly joinedNamesStmt;

  constructor(db: Db) {
    this.joinedNamesStmt = db.prepare<[string], { user_id: string; displayname: string | null }>(
      `SELECT cs.state_key AS user_id, rm.displayname FROM current_state cs JOIN room_memberships rm ON rm.event_id = cs.event_id
       WHERE cs.room_id = ? AND cs.type = 'm.room.member' AND cs.membership = 'join'`,
    );
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO room_memberships (event_id, room_id, user_id, sender, membership, stream_ordering, displayname, avatar_url)
       VALUES (@eventId, @roomId, @userId, @sender, @membership, @streamOrdering, @displayname, @avatarUrl)`,
    );
    this.currentStmt = db.prepare<[string, string], { membership: string | null; event_id: string }>(
      "SELECT membership, event_id FROM current_state WHERE room_id = ? AND type = 'm.room.member' AND state_key = ?",
    );
    this.roomsOfUserStmt = db.prepare<[string, string], { room_id: string }>(
      "SELECT room_id FROM current_state WHERE type = 'm.room.member' AND state_key = ? AND membership = ?",
    );
    this.allRoomsOfUserStmt = db.prepare<[string], { room_id: string; membership: string; event_id: string }>(
      "SELECT room_id, membership, event_id FROM current_state WHERE type = 'm.room.member' AND state_key = ? AND membership IS NOT NULL",
    );
    this.membersStmt = db.prepare<[string], { state_key: string; membership: string; event_id: string }>(
      "SELECT state_key, membership, event_id FROM current_state WHERE room_id = ? AND type = 'm.room.member' AND membership IS NOT NULL",
    );
    this.membersWithStmt = db.prepare<[string, string], { state_key: string; membership: string; event_id: string }>(
      "SELECT state_key, membership, event_id FROM current_state WHERE room_id = ? AND type = 'm.room.member' AND membership = ?",
    );
    this.countStmt = db.prepare<[string, string], { n: number }>(
      "SELECT COUNT(*) AS n FROM current_state WHERE room_id = ? AND type = 'm.room.member' AND membership = ?",
    );
    this.forgetStmt = db.prepare('INSERT OR IGNORE INTO forgotten_rooms (user_id, room_id) VALUES (?, ?)');
    this.unforgetStmt = db.prepare('DELETE FROM forgotten_rooms WHERE user_id = ? AND room_id = ?');
    this.forgottenStmt = db.prepare<[string, string], { one: number }>(
      'SELECT 1 AS one FROM forgotten_rooms WHERE user_id = ? AND room_id = ?',
    );
  }

  /** Records an accepted membership event (history). */
  insert(row: MembershipEventRow): void {
    this.insertStmt.run(row);
  }

  /** The display names of the room's joined members (one read for a whole room, e.g. push rules). */
  joinedDisplayNames(roomId: string): Map<string, string> {
    const names = new Map<string, string>();
    for (const r of this.joinedNamesStmt.all(roomId)) if (r.displayname !== null) names.set(r.user_id, r.displayname);
    return names;
  }

  /** The user's current membership in the room, if any. */
  current(roomId: string, userId: string): { membership: string; eventId: string } | undefined {
    const r = this.currentStmt.get(roomId, userId);
    return r && r.membership !== null ? { membership: r.membership, eventId: r.event_id } : undefined;
  }

  /** Rooms where the user's current membership is `membership` (e.g. joined rooms). */
  roomsOfUser(userId: string, membership: string): string[] {
    return this.roomsOfUserStmt.all(userId, membership).map((r) => r.room_id);
  }

  /** Every room the user has a membership in, whatever it is. */
  allRoomsOfUser(userId: string): UserRoomMembership[] {
    return this.allRoomsOfUserStmt.all(userId).map((r) => ({ roomId: r.room_id, membership: r.membership, eventId: r.event_id }));
  }

  /** Current members of a room, optionally only those with one membership. */
  members(roomId: string, membership?: string): CurrentMember[] {
    const rows = membership === undefined ? this.membersStmt.all(roomId) : this.membersWithStmt.all(roomId, membership);
    return rows.map((r) => ({ userId: r.state_key, membership: r.membership, eventId: r.event_id }));
  }

  count(roomId: string, membership: string): number {
    return this.countStmt.get(roomId, membership)?.n ?? 0;
  }

  forget(userId: string, roomId: string): void {
    this.forgetStmt.run(userId, roomId);
  }

  unforget(userId: string, roomId: string): void {
    this.unforgetStmt.run(userId, roomId);
  }

  isForgotten(userId: string, roomId: string): boolean {
    return this.forgottenStmt.get(userId, roomId) !== undefined;
  }
}
