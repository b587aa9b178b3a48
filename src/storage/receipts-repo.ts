import { isJsonObject, type JsonObject } from '../core/json.js';
import type { Db } from './database.js';

/** Read receipts: the latest per (room, type, user, thread), stamped with a receipts stream position. */

export interface StoredReceipt {
  readonly roomId: string;
  readonly receiptType: string;
  readonly userId: string;
  /** '' for unthreaded receipts. */
  readonly threadId: string;
  readonly eventId: string;
  readonly data: JsonObject;
  readonly streamId: number;
}

interface Row {
  room_id: string;
  receipt_type: string;
  user_id: string;
  thread_id: string;
  event_id: string;
  data: string;
  stream_id: number;
}

function toReceipt(r: Row): StoredReceipt {
  const data: unknown = JSON.parse(r.data);
  return {
    roomId: r.room_id,
    receiptType: r.receipt_type,
    userId: r.user_id,
    threadId: r.thread_id,
    eventId: r.event_id,
    data: isJsonObject(data) ? data : {},
    streamId: r.stream_id,
  };
}

const COLUMNS = 'room_id, receipt_type, user_id, thread_id, event_id, data, stream_id';

export class ReceiptsRepo {
  private readonly putStmt;
  private readonly getStmt;
  private readonly roomSinceStmt;
  private readonly roomAllStmt;
  private readonly roomsChangedStmt;

  constructor(db: Db) {
    this.putStmt = db.prepare(
      `INSERT INTO receipts (${COLUMNS}) VALUES (@roomId, @receiptType, @userId, @threadId, @eventId, @data, @streamId)
       ON CONFLICT (room_id, receipt_type, user_id, thread_id)
       DO UPDATE SET event_id = excluded.event_id, data = excluded.data, stream_id = excluded.stream_id`,
    );
    this.getStmt = db.prepare<[string, string, string, string], Row>(
      `SELECT ${COLUMNS} FROM receipts WHERE room_id = ? AND receipt_type = ? AND user_id = ? AND thread_id = ?`,
    );
    this.roomSinceStmt = db.prepare<[string, number, number], Row>(
      `SELECT ${COLUMNS} FROM receipts WHERE room_id = ? AND stream_id > ? AND stream_id <= ? ORDER BY stream_id`,
    );
    this.roomsChangedStmt = db.prepare<[number, number], { room_id: string }>(
      'SELECT DISTINCT room_id FROM receipts WHERE stream_id > ? AND stream_id <= ?',
    );
    this.roomAllStmt = db.prepare<[string, number], Row>(
      `SELECT ${COLUMNS} FROM receipts WHERE room_id = ? AND stream_id <= ? ORDER BY stream_id`,
    );
  }

  put(receipt: StoredReceipt): void {
    this.putStmt.run({ ...receipt, data: JSON.stringify(receipt.data) });
  }

  get(roomId: string, receiptType: string, userId: string, threadId: string): StoredReceipt | undefined {
    const row = this.getStmt.get(roomId, receiptType, userId, threadId);
    return row && toReceipt(row);
  }

  /** Receipts in a room that changed in (from, to]. */
  changedInRoom(roomId: string, from: number, to: number): StoredReceipt[] {
    return this.roomSinceStmt.all(roomId, from, to).map(toReceipt);
  }

  /** Rooms with a receipt written in (from, to]: reads only that window of the stream. */
  roomsChangedBetween(from: number, to: number): Set<string> {
    return new Set(this.roomsChangedStmt.all(from, to).map((r) => r.room_id));
  }

  /** All current receipts in a room as of `to` (initial sync). */
  allInRoom(roomId: string, to: number): StoredReceipt[] {
    return this.roomAllStmt.all(roomId, to).map(toReceipt);
  }
}
