import { isJsonObject } from '../core/json.js';
import type { PushAction } from '../core/push-rules/types.js';
import type { Db } from './database.js';

/**
 * Notifications of local users: one row per (user, event) their push rules said to notify about,
 * and per (room, user) the running unread counts (migrations/0014). A user has read a room up to
 * the newer of their m.read and m.read.private receipts (unthreaded or on the main timeline);
 * `settle` moves the counts past what a new receipt covers, and `unreadCounts` subtracts whatever
 * a receipt passed that was not settled yet, so the counts are right either way and a sync reads
 * one row per room. Receipts only move forward (ReceiptsService keeps the newest), which is what
 * lets a count start at the first notifying event instead of at the receipt.
 */

export interface PushRecipientOutcome {
  readonly userId: string;
  readonly actions: readonly PushAction[];
  readonly highlight: boolean;
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
  stream_ordering: number;
  actions: string;
  ts: number;
}

/** The rows of one user in one room within a stream range (room, after, up to, user). */
const PASSED = `FROM event_push_actions a WHERE a.room_id = ? AND a.stream_ordering > ? AND a.stream_ordering <= ? AND a.user_id = ?`;

export class PushActionsRepo {
  private readonly insertManyStmt;
  private readonly bumpManyStmt;
  private readonly unreadStmt;
  private readonly passedStmt;
  private readonly readUpToStmt;
  private readonly settleStmt;
  private readonly roomsStmt;
  private readonly listStmt;
  private readonly listHighlightStmt;

  constructor(db: Db) {
    // A new counter starts just before the event: nothing older was counted, and the user's
    // receipt cannot be past an event that is being written now.
    // The JSON array holds [user_id, actions JSON, highlight] per recipient.
    this.insertManyStmt = db.prepare(
      `INSERT OR IGNORE INTO event_push_actions (room_id, stream_ordering, user_id, event_id, actions, highlight, ts)
       SELECT @roomId, @streamOrdering, value ->> 0, @eventId, value ->> 1, value ->> 2, @ts FROM json_each(@rows)`,
    );
    this.bumpManyStmt = db.prepare(
      `INSERT INTO push_unread (room_id, user_id, read_stream, notifications, highlights)
       SELECT @roomId, value ->> 0, @readStream, 1, value ->> 2 FROM json_each(@rows) WHERE true
       ON CONFLICT (room_id, user_id) DO UPDATE SET notifications = notifications + 1, highlights = highlights + excluded.highlights`,
    );
    this.unreadStmt = db.prepare<[string, string], { read_stream: number; notifications: number; highlights: number }>(
      'SELECT read_stream, notifications, highlights FROM push_unread WHERE room_id = ? AND user_id = ?',
    );
    this.passedStmt = db.prepare<[string, number, number, string], { n: number; h: number | null }>(`SELECT COUNT(*) AS n, SUM(a.highlight) AS h ${PASSED}`);
    this.readUpToStmt = db.prepare<[string, string], { p: number }>(`SELECT ${READ_UP_TO} AS p`);
    this.settleStmt = db.prepare(
      `UPDATE push_unread SET notifications = notifications - @n, highlights = highlights - @h, read_stream = @readUpTo
       WHERE room_id = @roomId AND user_id = @userId`,
    );
    this.roomsStmt = db.prepare<[string], { room_id: string }>('SELECT room_id FROM push_unread WHERE user_id = ?');
    const list = (highlightOnly: boolean) =>
      db.prepare<[string, number, string, number], NotificationRow>(
        `SELECT event_id, stream_ordering, actions, ts FROM event_push_actions
         WHERE room_id = ? AND stream_ordering < ? AND user_id = ? ${highlightOnly ? 'AND highlight = 1' : ''}
         ORDER BY stream_ordering DESC LIMIT ?`,
      );
    this.listStmt = list(false);
    this.listHighlightStmt = list(true);
  }

  /**
   * Records one event's notifications, all recipients in two statements (a room of hundreds
   * would otherwise cost two statements per member). Call inside the event's transaction, once
   * per event.
   */
  insertForEvent(event: { roomId: string; eventId: string; streamOrdering: number; ts: number }, recipients: readonly PushRecipientOutcome[]): void {
    if (recipients.length === 0) return;
    const rows = JSON.stringify(recipients.map((r) => [r.userId, JSON.stringify(r.actions), r.highlight ? 1 : 0]));
    // Already recorded (the event persisted again): counting it twice would be wrong.
    const { roomId, eventId, streamOrdering, ts } = event;
    if (this.insertManyStmt.run({ roomId, streamOrdering, eventId, ts, rows }).changes === 0) return;
    this.bumpManyStmt.run({ roomId, readStream: streamOrdering - 1, rows });
  }

  unreadCounts(userId: string, roomId: string): UnreadCounts {
    const row = this.unreadStmt.get(roomId, userId);
    if (!row) return { notifications: 0, highlights: 0 };
    const readUpTo = this.readUpTo(roomId, userId);
    if (readUpTo <= row.read_stream) return { notifications: row.notifications, highlights: row.highlights };
    const passed = this.passedStmt.get(roomId, row.read_stream, readUpTo, userId);
    return { notifications: row.notifications - (passed?.n ?? 0), highlights: row.highlights - (passed?.h ?? 0) };
  }

  /** The user's read receipt in the room moved: subtract what it passed. Call inside its transaction. */
  settle(roomId: string, userId: string): void {
    const row = this.unreadStmt.get(roomId, userId);
    if (!row) return;
    const readUpTo = this.readUpTo(roomId, userId);
    if (readUpTo <= row.read_stream) return;
    const passed = this.passedStmt.get(roomId, row.read_stream, readUpTo, userId);
    this.settleStmt.run({ roomId, userId, readUpTo, n: passed?.n ?? 0, h: passed?.h ?? 0 });
  }

  /** The user's notifications before stream position `before`, newest first, across their rooms. */
  list(userId: string, before: number, limit: number, highlightOnly: boolean): StoredNotification[] {
    const stmt = highlightOnly ? this.listHighlightStmt : this.listStmt;
    const all: StoredNotification[] = [];
    for (const { room_id: roomId } of this.roomsStmt.all(userId)) {
      const readUpTo = this.readUpTo(roomId, userId);
      for (const r of stmt.all(roomId, before, userId, limit)) {
        const actions: unknown = JSON.parse(r.actions);
        all.push({
          eventId: r.event_id,
          roomId,
          streamOrdering: r.stream_ordering,
          actions: Array.isArray(actions) ? actions.filter((a): a is PushAction => typeof a === 'string' || isJsonObject(a)) : [],
          ts: r.ts,
          read: r.stream_ordering <= readUpTo,
        });
      }
    }
    return all.sort((a, b) => b.streamOrdering - a.streamOrdering).slice(0, limit);
  }

  private readUpTo(roomId: string, userId: string): number {
    return this.readUpToStmt.get(roomId, userId)!.p;
  }
}
