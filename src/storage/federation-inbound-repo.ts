import type { Db } from './database.js';

/**
 * What inbound federation keeps besides events (migrations/0006): the answers to transactions
 * already processed (so a retry is not processed twice), and EDUs stored for end-to-end
 * encryption to pick up later (to-device messages, remote device lists, cross-signing keys).
 */

export interface InboundToDevice {
  readonly origin: string;
  readonly messageId: string;
  readonly sender: string;
  readonly userId: string;
  /** '*' for every device of the user. */
  readonly deviceId: string;
  readonly type: string;
  readonly contentJson: string;
  readonly receivedTs: number;
}

export interface RemoteDeviceUpdate {
  readonly userId: string;
  readonly deviceId: string;
  readonly streamId: number;
  readonly deleted: boolean;
  readonly displayName: string | null;
  readonly keysJson: string | null;
  readonly updatedTs: number;
}

export interface RemoteCrossSigningKeys {
  readonly userId: string;
  readonly masterKeyJson: string | null;
  readonly selfSigningKeyJson: string | null;
  readonly updatedTs: number;
}

export class FederationInboundRepo {
  private readonly getTxnStmt;
  private readonly putTxnStmt;
  private readonly pruneTxnsStmt;
  private readonly insertToDeviceStmt;
  private readonly toDeviceForStmt;
  private readonly putDeviceStmt;
  private readonly getDeviceStmt;
  private readonly putCrossSigningStmt;
  private readonly getCrossSigningStmt;

  constructor(db: Db) {
    this.getTxnStmt = db.prepare<[string, string], { response_json: string }>(
      'SELECT response_json FROM federation_inbound_txns WHERE origin = ? AND txn_id = ?',
    );
    this.putTxnStmt = db.prepare(
      'INSERT OR REPLACE INTO federation_inbound_txns (origin, txn_id, response_json, received_ts) VALUES (?, ?, ?, ?)',
    );
    this.pruneTxnsStmt = db.prepare('DELETE FROM federation_inbound_txns WHERE received_ts < ?');
    this.insertToDeviceStmt = db.prepare(
      `INSERT OR IGNORE INTO federation_inbox_to_device (origin, message_id, sender, user_id, device_id, type, content_json, received_ts)
       VALUES (@origin, @messageId, @sender, @userId, @deviceId, @type, @contentJson, @receivedTs)`,
    );
    this.toDeviceForStmt = db.prepare<[string], ToDeviceRow>(
      `SELECT origin, message_id, sender, user_id, device_id, type, content_json, received_ts
       FROM federation_inbox_to_device WHERE user_id = ? ORDER BY id`,
    );
    // An update older than what we hold (stream ids only grow per user) changes nothing.
    this.putDeviceStmt = db.prepare(
      `INSERT INTO remote_device_lists (user_id, device_id, stream_id, deleted, display_name, keys_json, updated_ts)
       VALUES (@userId, @deviceId, @streamId, @deleted, @displayName, @keysJson, @updatedTs)
       ON CONFLICT (user_id, device_id) DO UPDATE SET stream_id = excluded.stream_id, deleted = excluded.deleted,
         display_name = excluded.display_name, keys_json = excluded.keys_json, updated_ts = excluded.updated_ts
       WHERE excluded.stream_id >= remote_device_lists.stream_id`,
    );
    this.getDeviceStmt = db.prepare<[string, string], DeviceRow>(
      `SELECT user_id, device_id, stream_id, deleted, display_name, keys_json, updated_ts
       FROM remote_device_lists WHERE user_id = ? AND device_id = ?`,
    );
    this.putCrossSigningStmt = db.prepare(
      `INSERT INTO remote_cross_signing_keys (user_id, master_key_json, self_signing_key_json, updated_ts)
       VALUES (@userId, @masterKeyJson, @selfSigningKeyJson, @updatedTs)
       ON CONFLICT (user_id) DO UPDATE SET
         master_key_json = coalesce(excluded.master_key_json, remote_cross_signing_keys.master_key_json),
         self_signing_key_json = coalesce(excluded.self_signing_key_json, remote_cross_signing_keys.self_signing_key_json),
         updated_ts = excluded.updated_ts`,
    );
    this.getCrossSigningStmt = db.prepare<[string], { user_id: string; master_key_json: string | null; self_signing_key_json: string | null; updated_ts: number }>(
      'SELECT user_id, master_key_json, self_signing_key_json, updated_ts FROM remote_cross_signing_keys WHERE user_id = ?',
    );
  }

  /** The answer already given to this transaction, as JSON. */
  txnResponse(origin: string, txnId: string): string | undefined {
    return this.getTxnStmt.get(origin, txnId)?.response_json;
  }

  putTxnResponse(origin: string, txnId: string, responseJson: string, receivedTs: number): void {
    this.putTxnStmt.run(origin, txnId, responseJson, receivedTs);
  }

  /** Forgets answers older than `beforeTs`; returns how many. */
  pruneTxns(beforeTs: number): number {
    return this.pruneTxnsStmt.run(beforeTs).changes;
  }

  /** Stores a to-device message unless this (origin, message_id, target) was stored already. */
  insertToDevice(message: InboundToDevice): boolean {
    return this.insertToDeviceStmt.run(message).changes > 0;
  }

  toDeviceFor(userId: string): InboundToDevice[] {
    return this.toDeviceForStmt.all(userId).map((r) => ({
      origin: r.origin,
      messageId: r.message_id,
      sender: r.sender,
      userId: r.user_id,
      deviceId: r.device_id,
      type: r.type,
      contentJson: r.content_json,
      receivedTs: r.received_ts,
    }));
  }

  putDeviceUpdate(update: RemoteDeviceUpdate): void {
    this.putDeviceStmt.run({ ...update, deleted: update.deleted ? 1 : 0 });
  }

  remoteDevice(userId: string, deviceId: string): RemoteDeviceUpdate | undefined {
    const r = this.getDeviceStmt.get(userId, deviceId);
    return (
      r && {
        userId: r.user_id,
        deviceId: r.device_id,
        streamId: r.stream_id,
        deleted: r.deleted === 1,
        displayName: r.display_name,
        keysJson: r.keys_json,
        updatedTs: r.updated_ts,
      }
    );
  }

  /** Keys not given (null) keep their previous value. */
  putCrossSigningKeys(keys: RemoteCrossSigningKeys): void {
    this.putCrossSigningStmt.run(keys);
  }

  crossSigningKeys(userId: string): RemoteCrossSigningKeys | undefined {
    const r = this.getCrossSigningStmt.get(userId);
    return r && { userId: r.user_id, masterKeyJson: r.master_key_json, selfSigningKeyJson: r.self_signing_key_json, updatedTs: r.updated_ts };
  }
}

interface ToDeviceRow {
  origin: string;
  message_id: string;
  sender: string;
  user_id: string;
  device_id: string;
  type: string;
  content_json: string;
  received_ts: number;
}

interface DeviceRow {
  user_id: string;
  device_id: string;
  stream_id: number;
  deleted: number;
  display_name: string | null;
  keys_json: string | null;
  updated_ts: number;
}
