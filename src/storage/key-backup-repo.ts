import type { Db } from './database.js';

/**
 * Server-side key backups (migrations/0016): users' backup versions and the room keys stored in
 * them. auth_data and session_data are the clients' JSON, kept as text and never interpreted.
 * Callers wrap a version check and the writes it allows in one transaction.
 */

export interface StoredBackupVersion {
  readonly userId: string;
  readonly version: number;
  readonly algorithm: string;
  readonly authDataJson: string;
  readonly etag: number;
  readonly count: number;
  readonly deleted: boolean;
}

export interface StoredBackupKey {
  readonly roomId: string;
  readonly sessionId: string;
  readonly firstMessageIndex: number;
  readonly forwardedCount: number;
  readonly isVerified: boolean;
  readonly sessionDataJson: string;
}

/** Which keys of a version a read or delete covers: all, one room's, or one session's. */
export interface BackupKeyScope {
  readonly roomId?: string;
  /** Only with roomId. */
  readonly sessionId?: string;
}

interface VersionRow {
  user_id: string;
  version: number;
  algorithm: string;
  auth_data: string;
  etag: number;
  key_count: number;
  deleted: number;
}

interface KeyRow {
  room_id: string;
  session_id: string;
  first_message_index: number;
  forwarded_count: number;
  is_verified: number;
  session_data: string;
}

const toVersion = (r: VersionRow): StoredBackupVersion => ({
  userId: r.user_id,
  version: r.version,
  algorithm: r.algorithm,
  authDataJson: r.auth_data,
  etag: r.etag,
  count: r.key_count,
  deleted: r.deleted === 1,
});

const toKey = (r: KeyRow): StoredBackupKey => ({
  roomId: r.room_id,
  sessionId: r.session_id,
  firstMessageIndex: r.first_message_index,
  forwardedCount: r.forwarded_count,
  isVerified: r.is_verified === 1,
  sessionDataJson: r.session_data,
});

const VERSION_COLUMNS = 'user_id, version, algorithm, auth_data, etag, key_count, deleted';
const KEY_COLUMNS = 'room_id, session_id, first_message_index, forwarded_count, is_verified, session_data';

export class KeyBackupRepo {
  private readonly versionStmt;
  private readonly currentStmt;
  private readonly highestStmt;
  private readonly insertVersionStmt;
  private readonly authDataStmt;
  private readonly markDeletedStmt;
  private readonly keysChangedStmt;
  private readonly keyStmt;
  private readonly roomKeysStmt;
  private readonly allKeysStmt;
  private readonly putKeyStmt;
  private readonly deleteKeyStmt;
  private readonly deleteRoomKeysStmt;
  private readonly deleteAllKeysStmt;

  constructor(db: Db) {
    this.versionStmt = db.prepare<[string, number], VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM e2e_room_key_backup_versions WHERE user_id = ? AND version = ?`,
    );
    this.currentStmt = db.prepare<[string], VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM e2e_room_key_backup_versions WHERE user_id = ? AND deleted = 0
       ORDER BY version DESC LIMIT 1`,
    );
    this.highestStmt = db.prepare<[string], { v: number | null }>(
      'SELECT MAX(version) AS v FROM e2e_room_key_backup_versions WHERE user_id = ?',
    );
    this.insertVersionStmt = db.prepare<[string, number, string, string]>(
      'INSERT INTO e2e_room_key_backup_versions (user_id, version, algorithm, auth_data) VALUES (?, ?, ?, ?)',
    );
    this.authDataStmt = db.prepare<[string, string, number]>(
      'UPDATE e2e_room_key_backup_versions SET auth_data = ? WHERE user_id = ? AND version = ? AND deleted = 0',
    );
    this.markDeletedStmt = db.prepare<[string, number]>(
      'UPDATE e2e_room_key_backup_versions SET deleted = 1, key_count = 0 WHERE user_id = ? AND version = ?',
    );
    this.keysChangedStmt = db.prepare<[number, string, number]>(
      'UPDATE e2e_room_key_backup_versions SET etag = etag + 1, key_count = key_count + ? WHERE user_id = ? AND version = ?',
    );
    this.keyStmt = db.prepare<[string, number, string, string], KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM e2e_room_key_backup_keys WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?`,
    );
    this.roomKeysStmt = db.prepare<[string, number, string], KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM e2e_room_key_backup_keys WHERE user_id = ? AND version = ? AND room_id = ?`,
    );
    this.allKeysStmt = db.prepare<[string, number], KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM e2e_room_key_backup_keys WHERE user_id = ? AND version = ?`,
    );
    this.putKeyStmt = db.prepare<[string, number, string, string, number, number, number, string]>(
      `INSERT INTO e2e_room_key_backup_keys
         (user_id, version, room_id, session_id, first_message_index, forwarded_count, is_verified, session_data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id, version, room_id, session_id) DO UPDATE SET
         first_message_index = excluded.first_message_index, forwarded_count = excluded.forwarded_count,
         is_verified = excluded.is_verified, session_data = excluded.session_data`,
    );
    this.deleteKeyStmt = db.prepare<[string, number, string, string]>(
      'DELETE FROM e2e_room_key_backup_keys WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?',
    );
    this.deleteRoomKeysStmt = db.prepare<[string, number, string]>(
      'DELETE FROM e2e_room_key_backup_keys WHERE user_id = ? AND version = ? AND room_id = ?',
    );
    this.deleteAllKeysStmt = db.prepare<[string, number]>('DELETE FROM e2e_room_key_backup_keys WHERE user_id = ? AND version = ?');
  }

  /** The version whether deleted or not; undefined if the user never had it. */
  version(userId: string, version: number): StoredBackupVersion | undefined {
    const row = this.versionStmt.get(userId, version);
    return row && toVersion(row);
  }

  /** The highest version not deleted. */
  current(userId: string): StoredBackupVersion | undefined {
    const row = this.currentStmt.get(userId);
    return row && toVersion(row);
  }

  /** Creates the next version (numbers of deleted versions are never reused); returns its number. */
  createVersion(userId: string, algorithm: string, authDataJson: string): number {
    const version = (this.highestStmt.get(userId)?.v ?? 0) + 1;
    this.insertVersionStmt.run(userId, version, algorithm, authDataJson);
    return version;
  }

  updateAuthData(userId: string, version: number, authDataJson: string): void {
    this.authDataStmt.run(authDataJson, userId, version);
  }

  /** Tombstones the version and drops its keys. */
  deleteVersion(userId: string, version: number): void {
    this.deleteAllKeysStmt.run(userId, version);
    this.markDeletedStmt.run(userId, version);
  }

  key(userId: string, version: number, roomId: string, sessionId: string): StoredBackupKey | undefined {
    const row = this.keyStmt.get(userId, version, roomId, sessionId);
    return row && toKey(row);
  }

  keys(userId: string, version: number, scope: BackupKeyScope): StoredBackupKey[] {
    if (scope.roomId === undefined) return this.allKeysStmt.all(userId, version).map(toKey);
    if (scope.sessionId === undefined) return this.roomKeysStmt.all(userId, version, scope.roomId).map(toKey);
    const row = this.keyStmt.get(userId, version, scope.roomId, scope.sessionId);
    return row ? [toKey(row)] : [];
  }

  /** Inserts or replaces the session's key. */
  putKey(userId: string, version: number, key: StoredBackupKey): void {
    this.putKeyStmt.run(
      userId,
      version,
      key.roomId,
      key.sessionId,
      key.firstMessageIndex,
      key.forwardedCount,
      key.isVerified ? 1 : 0,
      key.sessionDataJson,
    );
  }

  /** Deletes the keys in scope; returns how many there were. */
  deleteKeys(userId: string, version: number, scope: BackupKeyScope): number {
    if (scope.roomId === undefined) return this.deleteAllKeysStmt.run(userId, version).changes;
    if (scope.sessionId === undefined) return this.deleteRoomKeysStmt.run(userId, version, scope.roomId).changes;
    return this.deleteKeyStmt.run(userId, version, scope.roomId, scope.sessionId).changes;
  }

  /** Records that the version's keys changed: a new etag, and the count moved by `countDelta`. */
  keysChanged(userId: string, version: number, countDelta: number): void {
    this.keysChangedStmt.run(countDelta, userId, version);
  }
}
