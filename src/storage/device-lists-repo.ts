import type { Db } from './database.js';

/**
 * The device-list change stream (migrations/0010) and the room-sharing questions it is read
 * with: whose device list changed in a window of the 'device_lists' stream, which local users
 * share a room with someone (who hears of their changes), and the membership events of a room in
 * a window of the events stream (who joined or left rooms a user is in).
 */

export interface DeviceListChangeRow {
  readonly streamId: number;
  readonly userId: string;
  /** The local device an m.device_list_update went out for. */
  readonly deviceId: string | null;
  /** The only local user to hear of this change; null: everyone sharing a room. */
  readonly observerId: string | null;
}

export interface MembershipChange {
  readonly userId: string;
  readonly membership: string;
  readonly streamOrdering: number;
}

export class DeviceListsRepo {
  private readonly appendStmt;
  private readonly lastDeviceStreamStmt;
  private readonly changedBetweenStmt;
  private readonly observedBetweenStmt;
  private readonly userChangedBetweenStmt;
  private readonly localRoomMatesStmt;
  private readonly hasLocalRoomMateStmt;
  private readonly sharesRoomStmt;
  private readonly roomMembershipsBetweenStmt;

  constructor(db: Db) {
    this.appendStmt = db.prepare('INSERT INTO device_list_changes (stream_id, user_id, device_id, observer_id) VALUES (@streamId, @userId, @deviceId, @observerId)');
    this.lastDeviceStreamStmt = db.prepare<[string], { stream_id: number | null }>(
      'SELECT max(stream_id) AS stream_id FROM device_list_changes WHERE user_id = ? AND device_id IS NOT NULL',
    );
    this.changedBetweenStmt = db.prepare<[string, number, number, string, number], { user_id: string; observed: number }>(
      `SELECT user_id, max(observer_id IS NOT NULL AND observer_id = ?) AS observed FROM device_list_changes
       WHERE stream_id > ? AND stream_id <= ? AND (observer_id IS NULL OR observer_id = ?) GROUP BY user_id LIMIT ?`,
    );
    this.observedBetweenStmt = db.prepare<[string, number, number], { user_id: string }>(
      'SELECT DISTINCT user_id FROM device_list_changes WHERE observer_id = ? AND stream_id > ? AND stream_id <= ?',
    );
    this.userChangedBetweenStmt = db.prepare<[string, number, number, string], { one: number }>(
      `SELECT 1 AS one FROM device_list_changes
       WHERE user_id = ? AND stream_id > ? AND stream_id <= ? AND (observer_id IS NULL OR observer_id = ?) LIMIT 1`,
    );
    // substr(x, -n) is the last n characters: the users whose ID ends in ":<our server name>".
    this.localRoomMatesStmt = db.prepare<[string, number, string], { user_id: string }>(
      `SELECT DISTINCT b.state_key AS user_id
       FROM current_state a
       JOIN current_state b ON b.room_id = a.room_id AND b.type = 'm.room.member' AND b.membership = 'join'
       WHERE a.type = 'm.room.member' AND a.state_key = ? AND a.membership = 'join' AND substr(b.state_key, -?) = ?`,
    );
    this.hasLocalRoomMateStmt = db.prepare<[string, number, string], { one: number }>(
      `SELECT 1 AS one
       FROM current_state a
       JOIN current_state b ON b.room_id = a.room_id AND b.type = 'm.room.member' AND b.membership = 'join'
       WHERE a.type = 'm.room.member' AND a.state_key = ? AND a.membership = 'join' AND substr(b.state_key, -?) = ? LIMIT 1`,
    );
    this.sharesRoomStmt = db.prepare<[string, string], { one: number }>(
      `SELECT 1 AS one
       FROM current_state a
       JOIN current_state b ON b.room_id = a.room_id AND b.type = 'm.room.member' AND b.state_key = ? AND b.membership = 'join'
       WHERE a.type = 'm.room.member' AND a.state_key = ? AND a.membership = 'join' LIMIT 1`,
    );
    this.roomMembershipsBetweenStmt = db.prepare<[string, number, number], { user_id: string; membership: string; stream_ordering: number }>(
      `SELECT user_id, membership, stream_ordering FROM room_memberships
       WHERE room_id = ? AND stream_ordering > ? AND stream_ordering <= ? ORDER BY stream_ordering`,
    );
  }

  /** Appends one change; the position comes from streamPositions.next('device_lists') in the same transaction. */
  append(row: DeviceListChangeRow): void {
    this.appendStmt.run(row);
  }

  /** The user's last m.device_list_update position (the next one's prev_id, user/devices' stream_id). */
  lastDeviceStreamId(userId: string): number | undefined {
    return this.lastDeviceStreamStmt.get(userId)?.stream_id ?? undefined;
  }

  /**
   * Users with a change in (from, to] that `observer` may hear of, at most `limit` (undefined
   * when there are more: the caller then asks per user). `observed`: a change meant for the
   * observer alone is among them.
   */
  changedBetween(from: number, to: number, observer: string, limit: number): { userId: string; observed: boolean }[] | undefined {
    const rows = this.changedBetweenStmt.all(observer, from, to, observer, limit + 1);
    return rows.length > limit ? undefined : rows.map((r) => ({ userId: r.user_id, observed: r.observed === 1 }));
  }

  /** Users whose changes in (from, to] are meant for `observer` alone. */
  observedBetween(observer: string, from: number, to: number): string[] {
    return this.observedBetweenStmt.all(observer, from, to).map((r) => r.user_id);
  }

  userChangedBetween(userId: string, from: number, to: number, observer: string): boolean {
    return this.userChangedBetweenStmt.get(userId, from, to, observer) !== undefined;
  }

  /** Local users joined to a room the user is joined to (the user included if local). */
  localUsersSharingRoomWith(userId: string, serverName: string): string[] {
    const suffix = `:${serverName}`;
    return this.localRoomMatesStmt.all(userId, suffix.length, suffix).map((r) => r.user_id);
  }

  /** Some local user is joined to a room the user is joined to. */
  hasLocalRoomMate(userId: string, serverName: string): boolean {
    const suffix = `:${serverName}`;
    return this.hasLocalRoomMateStmt.get(userId, suffix.length, suffix) !== undefined;
  }

  /** Both users are joined to at least one common room. */
  shareRoom(a: string, b: string): boolean {
    return this.sharesRoomStmt.get(b, a) !== undefined;
  }

  /** Membership events of the room with stream ordering in (from, to], oldest first. */
  roomMembershipsBetween(roomId: string, from: number, to: number): MembershipChange[] {
    return this.roomMembershipsBetweenStmt
      .all(roomId, from, to)
      .map((r) => ({ userId: r.user_id, membership: r.membership, streamOrdering: r.stream_ordering }));
  }
}
