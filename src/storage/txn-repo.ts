import type { Db } from './database.js';

/** Client transaction IDs: the same (user, device, txn_id) maps to the event it first created. */
export class TxnRepo {
  private readonly getStmt;
  private readonly putStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string, string, string], { event_id: string }>(
      'SELECT event_id FROM txn_ids WHERE user_id = ? AND device_id = ? AND txn_id = ?',
    );
    this.putStmt = db.prepare(
      'INSERT OR IGNORE INTO txn_ids (user_id, device_id, txn_id, event_id, created_ts) VALUES (?, ?, ?, ?, ?)',
    );
  }

  get(userId: string, deviceId: string, txnId: string): string | undefined {
    return this.getStmt.get(userId, deviceId, txnId)?.event_id;
  }

  put(userId: string, deviceId: string, txnId: string, eventId: string, createdTs: number): void {
    this.putStmt.run(userId, deviceId, txnId, eventId, createdTs);
  }
}
