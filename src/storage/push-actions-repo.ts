import { isJsonObject } from '../core/json.js';
import type { PushAction } from '../core/push-rules/types.js';
import type { Db } from './database.js';

/**
 * Notifications of local users: one row per (user, event) their push rules said to notify about.
 * A user has read a room up to the newer of their m.read and m.read.private receipts (unthreaded
 * or on the main timeline); unread counts are the rows after it, so a new receipt resets them
 * with no write here.
 */

export interface PushActionRow {
  readonly userId: string;
  readonly eventId: string;
  readonly roomId: string;
  readonly streamOrdering: number;
  readonly actions: readonly PushAction[];
  readonly highlight: boolean;
  readonly ts: number;
}

export interface UnreadCounts {
  readonly notifications: number;
  readonly highlights: number;
}

export interface StoredNotification {
  readonly eventId: string;
  readonly roomId: string;
  readonly streamOrdering: number;
  readonly actions: PushAction[];
  readonly ts: number;
  readonly read: boolean;
}

/** The stream position a user has read a room up to (the `?`s: room, user), or below every event. */
const READ_UP_TO = `COALESCE((
  SELECT MAX(e.stream_ordering) FROM receipts r JOIN events e ON e.event_id = r.event_id
  WHERE r.room_id = ? AND r.user_id = ? AND r.receipt_type IN ('m.read', 'm.read.private') AND r.thread_id IN ('', 'main')
), ${Number.MIN_SAFE_INTEGER})`;

interface NotificationRow {
  event_id: string;
  room_id: string;
  stream_ordering: number;
  actions: string;
  ts: number;
  read_up_to: number;
}

export class PushActionsRepo {
  private readonly insertStmt;
  private readonly countsStmt;
  private readonly listStmt;
  private readonly listHighlightStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO event_push_actions (user_id, event_id, room_id, stream_ordering, actions, highlight, ts)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.countsStmt = db.prepare<[string, string, string, string], { n: number; h: number | null }>(
      `SELECT COUNT(*) AS n, SUM(highlight) AS h FROM event_push_actions
       WHERE user_id = ? AND room_id = ? AND stream_ordering > ${READ_UP_TO}`,
    );
    const list = (highlightOnly: boolean) =>
      db.prepare<[string, number, number], NotificationRow>(
        `SELECT a.event_id, a.room_id, a.stream_ordering, a.actions, a.ts,
                ${READ_UP_TO.replace('r.room_id = ?', 'r.room_id = a.room_id').replace('r.user_id = ?', 'r.user_id = a.user_id')} AS read_up_to
         FROM event_push_actions a
         WHERE a.user_id = ? AND a.stream_ordering < ? ${highlightOnly ? 'AND a.highlight = 1' : ''}
         ORDER BY a.stream_ordering DESC LIMIT ?`,
      );
    this.listStmt = list(false);
    this.listHighlightStmt = list(true);
  }

  insert(row: PushActionRow): void {
    this.insertStmt.run(row.userId, row.eventId, row.roomId, row.streamOrdering, JSON.stringify(row.actions), row.highlight ? 1 : 0, row.ts);
  }

  unreadCounts(userId: string, roomId: string): UnreadCounts {
    const r = this.countsStmt.get(userId, roomId, roomId, userId);
    return { notifications: r?.n ?? 0, highlights: r?.h ?? 0 };
  }

  /** The user's notifications before stream position `before`, newest first. */
  list(userId: string, before: number, limit: number, highlightOnly: boolean): StoredNotification[] {
    const rows = (highlightOnly ? this.listHighlightStmt : this.listStmt).all(userId, before, limit);
    return rows.map((r) => {
      const actions: unknown = JSON.parse(r.actions);
      return {
        eventId: r.event_id,
        roomId: r.room_id,
        streamOrdering: r.stream_ordering,
        actions: Array.isArray(actions) ? actions.filter((a): a is PushAction => typeof a === 'string' || isJsonObject(a)) : [],
        ts: r.ts,
        read: r.stream_ordering <= r.read_up_to,
      };
    });
  }
}
