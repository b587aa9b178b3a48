import type { Db } from './database.js';

/**
 * Send-to-device messages (migrations/0009): each device's inbox, ordered by the message's
 * position in the 'to_device' stream; the client transaction IDs of PUT /sendToDevice; and the
 * federation EDUs already delivered. Deleting a device empties its inbox (a trigger).
 */

export interface ToDeviceMessage {
  /** The message's 'to_device' stream position (allocated by the writer in its transaction). */
  readonly streamId: number;
  readonly userId: string;
  readonly deviceId: string;
  readonly sender: string;
  readonly type: string;
  readonly contentJson: string;
  /** The sending server, or null for a local sender. */
  readonly origin: string | null;
  readonly receivedTs: number;
}

interface MessageRow {
  stream_id: number;
  user_id: string;
  device_id: string;
  sender: string;
  type: string;
  content_json: string;
  origin: string | null;
  received_ts: number;
}

export class ToDeviceRepo {
  private readonly insertStmt;
  private readonly windowStmt;
  private readonly deleteUpToStmt;
  private readonly oldestStmt;
  private readonly getTxnStmt;
  private readonly putTxnStmt;
  private readonly pruneTxnsStmt;
  private readonly markSeenStmt;
  private readonly pruneSeenStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO to_device_inbox (stream_id, user_id, device_id, sender, type, content_json, origin, received_ts)
       VALUES (@streamId, @userId, @deviceId, @sender, @type, @contentJson, @origin, @receivedTs)`,
    );
    this.windowStmt = db.prepare<[string, string, number, number, number], MessageRow>(
      `SELECT stream_id, user_id, device_id, sender, type, content_json, origin, received_ts FROM to_device_inbox
       WHERE user_id = ? AND device_id = ? AND stream_id > ? AND stream_id <= ? ORDER BY stream_id LIMIT ?`,
    );
    this.deleteUpToStmt = db.prepare('DELETE FROM to_device_inbox WHERE user_id = ? AND device_id = ? AND stream_id <= ?');
    this.oldestStmt = db.prepare<[string, string], { s: number | null }>('SELECT MIN(stream_id) AS s FROM to_device_inbox WHERE user_id = ? AND device_id = ?');
    this.getTxnStmt = db.prepare<[string, string, string], { created_ts: number }>(
      'SELECT created_ts FROM to_device_txns WHERE user_id = ? AND device_id = ? AND txn_id = ?',
    );
    this.putTxnStmt = db.prepare('INSERT OR IGNORE INTO to_device_txns (user_id, device_id, txn_id, created_ts) VALUES (?, ?, ?, ?)');
    this.pruneTxnsStmt = db.prepare('DELETE FROM to_device_txns WHERE created_ts < ?');
    this.markSeenStmt = db.prepare('INSERT OR IGNORE INTO to_device_federation_seen (origin, message_id, received_ts) VALUES (?, ?, ?)');
    this.pruneSeenStmt = db.prepare('DELETE FROM to_device_federation_seen WHERE received_ts < ?');
  }

  insert(message: ToDeviceMessage): void {
    this.insertStmt.run(message);
  }

  /** The device's messages with stream_id in (after, upTo], oldest first, at most `limit`. */
  window(userId: string, deviceId: string, after: number, upTo: number, limit: number): ToDeviceMessage[] {
    return this.windowStmt.all(userId, deviceId, after, upTo, limit).map((r) => ({
      streamId: r.stream_id,
      userId: r.user_id,
      deviceId: r.device_id,
      sender: r.sender,
      type: r.type,
      contentJson: r.content_json,
      origin: r.origin,
      receivedTs: r.received_ts,
    }));
  }

  /** Deletes the device's messages up to and including `upTo` (the client has them); returns how many. */
  deleteUpTo(userId: string, deviceId: string, upTo: number): number {
    return this.deleteUpToStmt.run(userId, deviceId, upTo).changes;
  }

  /** The stream position of the device's oldest waiting message, if any. */
  oldestPending(userId: string, deviceId: string): number | undefined {
    return this.oldestStmt.get(userId, deviceId)?.s ?? undefined;
  }

  hasTxn(userId: string, deviceId: string, txnId: string): boolean {
    return this.getTxnStmt.get(userId, deviceId, txnId) !== undefined;
  }

  putTxn(userId: string, deviceId: string, txnId: string, createdTs: number): void {
    this.putTxnStmt.run(userId, deviceId, txnId, createdTs);
  }

  /** Forgets transaction IDs older than `beforeTs`; returns how many. */
  pruneTxns(beforeTs: number): number {
    return this.pruneTxnsStmt.run(beforeTs).changes;
  }

  /** Records a federation EDU as delivered; false when it was already. */
  markFederationSeen(origin: string, messageId: string, receivedTs: number): boolean {
    return this.markSeenStmt.run(origin, messageId, receivedTs).changes > 0;
  }

  /** Forgets delivered EDUs older than `beforeTs`; returns how many. */
  pruneFederationSeen(beforeTs: number): number {
    return this.pruneSeenStmt.run(beforeTs).changes;
  }
}
