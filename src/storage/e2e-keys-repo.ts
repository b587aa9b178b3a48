import type { Db } from './database.js';

/**
 * The end-to-end keys of our users' devices (migrations/0010): identity keys, one-time keys
 * (claiming one deletes it, oldest first) and one fallback key per algorithm with its "used"
 * flag. A device's keys go with the device (a trigger on devices).
 */

export interface StoredKey {
  readonly keyId: string;
  readonly keyJson: string;
}

export interface StoredFallbackKey extends StoredKey {
  readonly used: boolean;
}

export class E2eKeysRepo {
  private readonly deviceKeysStmt;
  private readonly deviceKeysOfUserStmt;
  private readonly putDeviceKeysStmt;
  private readonly otkStmt;
  private readonly insertOtkStmt;
  private readonly otkCountsStmt;
  private readonly oldestOtkStmt;
  private readonly deleteOtkStmt;
  private readonly fallbackStmt;
  private readonly putFallbackStmt;
  private readonly markFallbackUsedStmt;
  private readonly unusedFallbackStmt;
  private readonly anyFallbackStmt;

  constructor(db: Db) {
    this.deviceKeysStmt = db.prepare<[string, string], { keys_json: string }>(
      'SELECT keys_json FROM e2e_device_keys WHERE user_id = ? AND device_id = ?',
    );
    this.deviceKeysOfUserStmt = db.prepare<[string], { device_id: string; keys_json: string }>(
      'SELECT device_id, keys_json FROM e2e_device_keys WHERE user_id = ? ORDER BY device_id',
    );
    this.putDeviceKeysStmt = db.prepare(
      `INSERT INTO e2e_device_keys (user_id, device_id, keys_json, updated_ts) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, device_id) DO UPDATE SET keys_json = excluded.keys_json, updated_ts = excluded.updated_ts
       WHERE e2e_device_keys.keys_json != excluded.keys_json`,
    );
    this.otkStmt = db.prepare<[string, string, string, string], { key_json: string }>(
      'SELECT key_json FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? AND key_id = ?',
    );
    this.insertOtkStmt = db.prepare(
      'INSERT INTO e2e_one_time_keys (user_id, device_id, algorithm, key_id, key_json) VALUES (?, ?, ?, ?, ?)',
    );
    this.otkCountsStmt = db.prepare<[string, string], { algorithm: string; n: number }>(
      'SELECT algorithm, count(*) AS n FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? GROUP BY algorithm',
    );
    this.oldestOtkStmt = db.prepare<[string, string, string], { id: number; key_id: string; key_json: string }>(
      `SELECT id, key_id, key_json FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?
       ORDER BY id LIMIT 1`,
    );
    this.deleteOtkStmt = db.prepare('DELETE FROM e2e_one_time_keys WHERE id = ?');
    this.fallbackStmt = db.prepare<[string, string, string], { key_id: string; key_json: string; used: number }>(
      'SELECT key_id, key_json, used FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?',
    );
    // The same key uploaded again keeps its "used" flag; a new one starts unused.
    this.putFallbackStmt = db.prepare(
      `INSERT INTO e2e_fallback_keys (user_id, device_id, algorithm, key_id, key_json, used) VALUES (?, ?, ?, ?, ?, 0)
       ON CONFLICT (user_id, device_id, algorithm) DO UPDATE SET key_id = excluded.key_id, key_json = excluded.key_json,
         used = CASE WHEN e2e_fallback_keys.key_id = excluded.key_id AND e2e_fallback_keys.key_json = excluded.key_json
                     THEN e2e_fallback_keys.used ELSE 0 END`,
    );
    this.markFallbackUsedStmt = db.prepare(
      'UPDATE e2e_fallback_keys SET used = 1 WHERE user_id = ? AND device_id = ? AND algorithm = ?',
    );
    this.unusedFallbackStmt = db.prepare<[string, string], { algorithm: string }>(
      'SELECT algorithm FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ? AND used = 0 ORDER BY algorithm',
    );
    this.anyFallbackStmt = db.prepare<[string, string], { one: number }>(
      'SELECT 1 AS one FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ? LIMIT 1',
    );
  }

  deviceKeys(userId: string, deviceId: string): string | undefined {
    return this.deviceKeysStmt.get(userId, deviceId)?.keys_json;
  }

  /** Every device of the user that has uploaded identity keys. */
  deviceKeysOfUser(userId: string): { deviceId: string; keysJson: string }[] {
    return this.deviceKeysOfUserStmt.all(userId).map((r) => ({ deviceId: r.device_id, keysJson: r.keys_json }));
  }

  /** Stores the device's identity keys; returns whether they changed. */
  putDeviceKeys(userId: string, deviceId: string, keysJson: string, ts: number): boolean {
    return this.putDeviceKeysStmt.run(userId, deviceId, keysJson, ts).changes > 0;
  }

  oneTimeKey(userId: string, deviceId: string, algorithm: string, keyId: string): string | undefined {
    return this.otkStmt.get(userId, deviceId, algorithm, keyId)?.key_json;
  }

  insertOneTimeKey(userId: string, deviceId: string, algorithm: string, keyId: string, keyJson: string): void {
    this.insertOtkStmt.run(userId, deviceId, algorithm, keyId, keyJson);
  }

  /** Unclaimed one-time keys per algorithm. */
  oneTimeKeyCounts(userId: string, deviceId: string): Map<string, number> {
    return new Map(this.otkCountsStmt.all(userId, deviceId).map((r) => [r.algorithm, r.n]));
  }

  /** Takes the oldest one-time key of the algorithm (deleted: it is never handed out again). */
  claimOneTimeKey(userId: string, deviceId: string, algorithm: string): StoredKey | undefined {
    const row = this.oldestOtkStmt.get(userId, deviceId, algorithm);
    if (!row) return undefined;
    this.deleteOtkStmt.run(row.id);
    return { keyId: row.key_id, keyJson: row.key_json };
  }

  fallbackKey(userId: string, deviceId: string, algorithm: string): StoredFallbackKey | undefined {
    const row = this.fallbackStmt.get(userId, deviceId, algorithm);
    return row && { keyId: row.key_id, keyJson: row.key_json, used: row.used === 1 };
  }

  putFallbackKey(userId: string, deviceId: string, algorithm: string, keyId: string, keyJson: string): void {
    this.putFallbackStmt.run(userId, deviceId, algorithm, keyId, keyJson);
  }

  markFallbackKeyUsed(userId: string, deviceId: string, algorithm: string): void {
    this.markFallbackUsedStmt.run(userId, deviceId, algorithm);
  }

  unusedFallbackAlgorithms(userId: string, deviceId: string): string[] {
    return this.unusedFallbackStmt.all(userId, deviceId).map((r) => r.algorithm);
  }

  /** The device has uploaded any key at all (identity, one-time or fallback). */
  usesEncryption(userId: string, deviceId: string): boolean {
    return (
      this.deviceKeysStmt.get(userId, deviceId) !== undefined ||
      this.otkCountsStmt.get(userId, deviceId) !== undefined ||
      this.anyFallbackStmt.get(userId, deviceId) !== undefined
    );
  }
}
