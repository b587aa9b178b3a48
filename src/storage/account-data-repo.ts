import { isJsonObject, type JsonObject } from '../core/json.js';
import type { Db } from './database.js';

/** Global ('' room) and per-room account data, each write stamped with its account_data stream position. */

export interface AccountDataEntry {
  /** '' for global account data. */
  readonly roomId: string;
  readonly type: string;
  readonly content: JsonObject;
  readonly streamId: number;
}

interface Row {
  room_id: string;
  type: string;
  content: string;
  stream_id: number;
}

function toEntry(r: Row): AccountDataEntry {
  const content: unknown = JSON.parse(r.content);
  return { roomId: r.room_id, type: r.type, content: isJsonObject(content) ? content : {}, streamId: r.stream_id };
}

export class AccountDataRepo {
  private readonly getStmt;
  private readonly putStmt;
  private readonly sinceStmt;
  private readonly allStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string, string, string], Row>(
      'SELECT room_id, type, content, stream_id FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?',
    );
    this.putStmt = db.prepare(
      `INSERT INTO account_data (user_id, room_id, type, content, stream_id) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id, room_id, type) DO UPDATE SET content = excluded.content, stream_id = excluded.stream_id`,
    );
    this.sinceStmt = db.prepare<[string, number, number], Row>(
      `SELECT room_id, type, content, stream_id FROM account_data
       WHERE user_id = ? AND stream_id > ? AND stream_id <= ? ORDER BY stream_id`,
    );
    this.allStmt = db.prepare<[string, number], Row>(
      'SELECT room_id, type, content, stream_id FROM account_data WHERE user_id = ? AND stream_id <= ? ORDER BY stream_id',
    );
  }

  get(userId: string, roomId: string, type: string): AccountDataEntry | undefined {
    const row = this.getStmt.get(userId, roomId, type);
    return row && toEntry(row);
  }

  put(userId: string, roomId: string, type: string, content: JsonObject, streamId: number): void {
    this.putStmt.run(userId, roomId, type, JSON.stringify(content), streamId);
  }

  /** The user's entries changed in (from, to]: only the latest value of each is kept, so this is a delta. */
  changedBetween(userId: string, from: number, to: number): AccountDataEntry[] {
    return this.sinceStmt.all(userId, from, to).map(toEntry);
  }

  /** Every entry of the user as of `to` (initial sync). */
  all(userId: string, to: number): AccountDataEntry[] {
    return this.allStmt.all(userId, to).map(toEntry);
  }
}
