import type { Db } from './database.js';

/**
 * Read-only membership queries that sync and the ephemeral services need and the rooms
 * repositories (memberships-repo, state-repo) do not offer: memberships with their stream
 * positions, a user's membership changes in a stream window, room-summary heroes, "do these two
 * users share a room". Writers live in the rooms repositories; nothing here writes.
 */

export type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock';

export interface MembershipAt {
  readonly roomId: string;
  readonly membership: Membership;
  readonly eventId: string;
  /** Stream ordering of the membership event. */
  readonly streamOrdering: number;
}

function asMembership(value: string | null): Membership {
  return value === 'join' || value === 'invite' || value === 'ban' || value === 'knock' ? value : 'leave';
}

type Row = { room_id: string; membership: string | null; event_id: string; stream_ordering: number | null };
const toMembership = (r: Row): MembershipAt => ({
  roomId: r.room_id,
  membership: asMembership(r.membership),
  eventId: r.event_id,
  streamOrdering: r.stream_ordering ?? 0,
});

export class RoomReadsRepo {
  private readonly membershipsStmt;
  private readonly changesStmt;
  private readonly historyStmt;
  private readonly countsStmt;
  private readonly heroesStmt;
  private readonly sharesRoomStmt;

  constructor(db: Db) {
    this.membershipsStmt = db.prepare<[string], Row>(
      `SELECT cs.room_id, cs.membership, cs.event_id, e.stream_ordering
       FROM current_state cs LEFT JOIN events e ON e.event_id = cs.event_id
       WHERE cs.type = 'm.room.member' AND cs.state_key = ? AND cs.membership IS NOT NULL`,
    );
    this.changesStmt = db.prepare<[string, number, number], Row>(
      `SELECT room_id, membership, event_id, stream_ordering FROM room_memberships
       WHERE user_id = ? AND stream_ordering > ? AND stream_ordering <= ? ORDER BY stream_ordering`,
    );
    this.historyStmt = db.prepare<[string, string], Row>(
      `SELECT room_id, membership, event_id, stream_ordering FROM room_memberships
       WHERE user_id = ? AND room_id = ? ORDER BY stream_ordering`,
    );
    this.countsStmt = db.prepare<[string], { joined: number; invited: number }>(
      `SELECT count(*) FILTER (WHERE membership = 'join') AS joined, count(*) FILTER (WHERE membership = 'invite') AS invited
       FROM current_state WHERE room_id = ? AND type = 'm.room.member'`,
    );
    this.heroesStmt = db.prepare<[string, string, number], { user_id: string }>(
      `SELECT cs.state_key AS user_id FROM current_state cs LEFT JOIN events e ON e.event_id = cs.event_id
       WHERE cs.room_id = ? AND cs.type = 'm.room.member' AND cs.state_key != ? AND cs.membership IN ('join', 'invite')
       ORDER BY e.stream_ordering LIMIT ?`,
    );
    this.sharesRoomStmt = db.prepare<[string, string], { one: number }>(
      `SELECT 1 AS one FROM current_state a JOIN current_state b ON b.room_id = a.room_id
       WHERE a.type = 'm.room.member' AND a.state_key = ? AND a.membership = 'join'
         AND b.type = 'm.room.member' AND b.state_key = ? AND b.membership = 'join' LIMIT 1`,
    );
  }

  /** The user's current membership in every room they have one in, with its stream position. */
  membershipsOf(userId: string): MembershipAt[] {
    return this.membershipsStmt.all(userId).map(toMembership);
  }

  /** The user's membership events with stream ordering in (from, to], oldest first. */
  membershipChanges(userId: string, from: number, to: number): MembershipAt[] {
    return this.changesStmt.all(userId, from, to).map(toMembership);
  }

  /** Every membership event of the user in the room, oldest first (history visibility). */
  membershipHistory(userId: string, roomId: string): MembershipAt[] {
    return this.historyStmt.all(userId, roomId).map(toMembership);
  }

  memberCounts(roomId: string): { joined: number; invited: number } {
    return this.countsStmt.get(roomId) ?? { joined: 0, invited: 0 };
  }

  /** Up to `limit` joined or invited members other than `userId`, earliest first (room summary heroes). */
  heroes(roomId: string, userId: string, limit: number): string[] {
    return this.heroesStmt.all(roomId, userId, limit).map((r) => r.user_id);
  }

  /** Whether both users are joined to at least one common room. */
  shareARoom(a: string, b: string): boolean {
    return this.sharesRoomStmt.get(a, b) !== undefined;
  }
}
