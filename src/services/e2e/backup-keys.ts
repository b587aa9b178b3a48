import type { JsonObject } from '../../core/json.js';
import type { BackupKeyScope, StoredBackupKey, StoredBackupVersion } from '../../storage/key-backup-repo.js';
import type { Storage } from '../../storage/storage.js';
import { ErrCode, invalidParam, MatrixError, notFound, tooLarge } from '../errors.js';
import { liveBackupVersion, parseBackupVersion } from './backup-versions.js';

/**
 * Room keys in a backup (PUT/GET/DELETE /room_keys/keys[/{roomId}[/{sessionId}]]). The three
 * path levels are one operation each here: the endpoints wrap what they were given into the
 * whole-backup shape. Keys go only into the current version; reads and deletes take any version
 * not deleted. Every upload is checked whole, then applied in one transaction.
 */

/** The spec's KeyBackupData, as clients send and receive it (a type alias so it is a JsonObject). */
export type BackupKeyData = {
  readonly first_message_index: number;
  readonly forwarded_count: number;
  readonly is_verified: boolean;
  readonly session_data: JsonObject;
};

export type BackupRooms = Readonly<Record<string, { readonly sessions: Readonly<Record<string, BackupKeyData>> }>>;

/** Clients upload in batches of a few hundred; this bounds the work and the transaction of one request. */
export const MAX_SESSIONS_PER_UPLOAD = 10_000;
/** An encrypted megolm session export is about a kilobyte. */
export const MAX_SESSION_DATA_BYTES = 64 * 1024;
/** The spec's limit on the length of a room ID; session IDs are far shorter in practice. */
const MAX_ID_LENGTH = 255;

export interface BackupKeysUpdate {
  readonly etag: string;
  readonly count: number;
}

/**
 * The spec's rule for a session the backup already holds a key for: a verified key beats an
 * unverified one; between equally verified keys the lower first_message_index wins (it decrypts
 * more of the session), then the lower forwarded_count. A full tie keeps the stored key, so
 * re-uploading the same key changes nothing (and leaves the etag alone).
 */
export function replacesStoredKey(stored: StoredBackupKey, candidate: BackupKeyData): boolean {
  if (stored.isVerified !== candidate.is_verified) return candidate.is_verified;
  if (stored.firstMessageIndex !== candidate.first_message_index) return candidate.first_message_index < stored.firstMessageIndex;
  return candidate.forwarded_count < stored.forwardedCount;
}

function toKeyData(key: StoredBackupKey): BackupKeyData {
  return {
    first_message_index: key.firstMessageIndex,
    forwarded_count: key.forwardedCount,
    is_verified: key.isVerified,
    session_data: JSON.parse(key.sessionDataJson) as JsonObject,
  };
}

function updateOf(version: StoredBackupVersion): BackupKeysUpdate {
  return { etag: String(version.etag), count: version.count };
}

interface CheckedKey {
  readonly roomId: string;
  readonly sessionId: string;
  readonly data: BackupKeyData;
  readonly sessionDataJson: string;
}

/** Everything an upload can get wrong that does not depend on the stored backup. */
function checkUpload(rooms: BackupRooms): CheckedKey[] {
  const keys: CheckedKey[] = [];
  for (const [roomId, room] of Object.entries(rooms)) {
    if (!roomId.startsWith('!') || roomId.length > MAX_ID_LENGTH) throw invalidParam(`Not a room ID: ${roomId.slice(0, MAX_ID_LENGTH)}`);
    for (const [sessionId, data] of Object.entries(room.sessions)) {
      if (sessionId.length === 0 || sessionId.length > MAX_ID_LENGTH) throw invalidParam(`Session IDs must be 1 to ${MAX_ID_LENGTH} characters`);
      if (keys.length === MAX_SESSIONS_PER_UPLOAD) throw invalidParam(`At most ${MAX_SESSIONS_PER_UPLOAD} sessions per request`);
      const sessionDataJson = JSON.stringify(data.session_data);
      if (Buffer.byteLength(sessionDataJson, 'utf8') > MAX_SESSION_DATA_BYTES) {
        throw tooLarge(`session_data of ${sessionId} is larger than ${MAX_SESSION_DATA_BYTES} bytes`);
      }
      keys.push({ roomId, sessionId, data, sessionDataJson });
    }
  }
  return keys;
}

export class BackupKeys {
  constructor(private readonly storage: Storage) {}

  /** Stores the keys that beat what the backup holds; answers the version's etag and count after. */
  upload(userId: string, version: string, rooms: BackupRooms): BackupKeysUpdate {
    const keys = checkUpload(rooms);
    const repo = this.storage.keyBackup;
    return this.storage.transaction(() => {
      const target = this.currentVersion(userId, version);
      let changed = false;
      let added = 0;
      for (const { roomId, sessionId, data, sessionDataJson } of keys) {
        const stored = repo.key(userId, target.version, roomId, sessionId);
        if (stored && !replacesStoredKey(stored, data)) continue;
        repo.putKey(userId, target.version, {
          roomId,
          sessionId,
          firstMessageIndex: data.first_message_index,
          forwardedCount: data.forwarded_count,
          isVerified: data.is_verified,
          sessionDataJson,
        });
        changed = true;
        if (!stored) added++;
      }
      if (!changed) return updateOf(target);
      repo.keysChanged(userId, target.version, added);
      return updateOf(repo.version(userId, target.version) ?? target);
    });
  }

  /** The keys in scope, in the whole-backup shape: `{ roomId: { sessionId: key } }`. */
  get(userId: string, version: string, scope: BackupKeyScope): Record<string, Record<string, BackupKeyData>> {
    const target = liveBackupVersion(this.storage, userId, version);
    const rooms: Record<string, Record<string, BackupKeyData>> = {};
    for (const key of this.storage.keyBackup.keys(userId, target.version, scope)) {
      (rooms[key.roomId] ??= {})[key.sessionId] = toKeyData(key);
    }
    return rooms;
  }

  delete(userId: string, version: string, scope: BackupKeyScope): BackupKeysUpdate {
    const repo = this.storage.keyBackup;
    return this.storage.transaction(() => {
      const target = liveBackupVersion(this.storage, userId, version);
      const deleted = repo.deleteKeys(userId, target.version, scope);
      if (deleted === 0) return updateOf(target);
      repo.keysChanged(userId, target.version, -deleted);
      return updateOf(repo.version(userId, target.version) ?? target);
    });
  }

  /**
   * The version keys may be written to: it must be the current one. A client still writing to an
   * older version (replaced, or deleted by another client) is told which one is current.
   */
  private currentVersion(userId: string, version: string): StoredBackupVersion {
    const current = this.storage.keyBackup.current(userId);
    const n = parseBackupVersion(version);
    if (current && n === current.version) return current;
    const named = n === undefined ? undefined : this.storage.keyBackup.version(userId, n);
    if (!current || !named) throw notFound('Unknown backup version');
    throw new MatrixError(403, ErrCode.WRONG_ROOM_KEYS_VERSION, 'Wrong backup version', { current_version: String(current.version) });
  }
}
