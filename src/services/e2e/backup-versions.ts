import type { JsonObject } from '../../core/json.js';
import type { StoredBackupVersion } from '../../storage/key-backup-repo.js';
import type { Storage } from '../../storage/storage.js';
import { invalidParam, notFound, tooLarge } from '../errors.js';

/**
 * Backup versions (POST/GET/PUT/DELETE /room_keys/version[/{version}]). A version is a user's
 * backup under one key: clients make a new one when the backup key changes, and only the newest
 * one not deleted (the current one) takes new keys. auth_data (the backup's public key and its
 * signatures) is the client's business; the server keeps it as it came.
 */

/** auth_data holds a public key and a few signatures; this leaves room for many more. */
export const MAX_AUTH_DATA_BYTES = 64 * 1024;

export interface BackupVersionUpdate {
  readonly algorithm: string;
  readonly auth_data: JsonObject;
  readonly version?: string | undefined;
}

/**
 * Our version IDs are the decimal numbers we hand out; anything else names no version. Leading
 * zeros are refused so each version has exactly one spelling.
 */
export function parseBackupVersion(version: string): number | undefined {
  if (!/^[1-9][0-9]{0,14}$/.test(version)) return undefined;
  return Number(version);
}

/** The version if it exists and is not deleted; M_NOT_FOUND otherwise. */
export function liveBackupVersion(storage: Storage, userId: string, version: string): StoredBackupVersion {
  const n = parseBackupVersion(version);
  const stored = n === undefined ? undefined : storage.keyBackup.version(userId, n);
  if (!stored || stored.deleted) throw notFound('Unknown backup version');
  return stored;
}

function authDataJson(authData: JsonObject): string {
  const json = JSON.stringify(authData);
  if (Buffer.byteLength(json, 'utf8') > MAX_AUTH_DATA_BYTES) throw tooLarge(`auth_data is larger than ${MAX_AUTH_DATA_BYTES} bytes`);
  return json;
}

function versionInfo(v: StoredBackupVersion): JsonObject {
  return {
    algorithm: v.algorithm,
    auth_data: JSON.parse(v.authDataJson) as JsonObject,
    count: v.count,
    etag: String(v.etag),
    version: String(v.version),
  };
}

export class BackupVersions {
  constructor(private readonly storage: Storage) {}

  /** Creates the user's next version, which becomes the current one; returns its ID. */
  create(userId: string, algorithm: string, authData: JsonObject): string {
    const json = authDataJson(authData);
    return String(this.storage.transaction(() => this.storage.keyBackup.createVersion(userId, algorithm, json)));
  }

  current(userId: string): JsonObject {
    const current = this.storage.keyBackup.current(userId);
    if (!current) throw notFound('No current backup version');
    return versionInfo(current);
  }

  get(userId: string, version: string): JsonObject {
    return versionInfo(liveBackupVersion(this.storage, userId, version));
  }

  /** Replaces auth_data; the algorithm cannot change (a new key means a new version). */
  update(userId: string, version: string, update: BackupVersionUpdate): void {
    if (update.version !== undefined && update.version !== version) throw invalidParam('Version in body does not match');
    const json = authDataJson(update.auth_data);
    this.storage.transaction(() => {
      const stored = liveBackupVersion(this.storage, userId, version);
      if (stored.algorithm !== update.algorithm) throw invalidParam('Algorithm does not match');
      this.storage.keyBackup.updateAuthData(userId, stored.version, json);
    });
  }

  /** Deletes the version and its keys; deleting a deleted version again succeeds, as the spec asks. */
  delete(userId: string, version: string): void {
    const n = parseBackupVersion(version);
    this.storage.transaction(() => {
      const stored = n === undefined ? undefined : this.storage.keyBackup.version(userId, n);
      if (!stored) throw notFound('Unknown backup version');
      if (!stored.deleted) this.storage.keyBackup.deleteVersion(userId, stored.version);
    });
  }
}
