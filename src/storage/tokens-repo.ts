import type { Db } from './database.js';

/** An access token as authentication needs it, joined with its account's flags. */
export interface AccessTokenInfo {
  readonly id: number;
  readonly userId: string;
  readonly deviceId: string;
  readonly refreshTokenId: number | null;
  readonly used: boolean;
  readonly expiresTs: number | null;
  readonly isAdmin: boolean;
  readonly deactivated: boolean;
}

export interface RefreshTokenInfo {
  readonly id: number;
  readonly userId: string;
  readonly deviceId: string;
  readonly nextTokenId: number | null;
}

interface AccessRow {
  id: number;
  user_id: string;
  device_id: string;
  refresh_token_id: number | null;
  used: number;
  expires_ts: number | null;
  is_admin: number;
  deactivated: number;
}

interface RefreshRow {
  id: number;
  user_id: string;
  device_id: string;
  next_token_id: number | null;
}

/** Access and refresh tokens, looked up by the SHA-256 of the token (never stored in clear). */
export class TokensRepo {
  private readonly findAccessStmt;
  private readonly insertAccessStmt;
  private readonly markUsedStmt;
  private readonly deleteAccessStmt;
  private readonly deleteAccessForDeviceStmt;
  private readonly deleteAccessForRefreshStmt;
  private readonly findRefreshStmt;
  private readonly insertRefreshStmt;
  private readonly setNextStmt;
  private readonly deleteRefreshStmt;
  private readonly deletePredecessorsStmt;
  private readonly deleteRefreshForDeviceStmt;

  constructor(db: Db) {
    this.findAccessStmt = db.prepare<[Buffer], AccessRow>(
      `SELECT t.id, t.user_id, t.device_id, t.refresh_token_id, t.used, t.expires_ts, a.is_admin, a.deactivated
       FROM access_tokens t JOIN accounts a ON a.user_id = t.user_id WHERE t.token_hash = ?`,
    );
    this.insertAccessStmt = db.prepare(
      `INSERT INTO access_tokens (token_hash, user_id, device_id, refresh_token_id, created_ts, expires_ts)
       VALUES (@hash, @userId, @deviceId, @refreshTokenId, @createdTs, @expiresTs)`,
    );
    this.markUsedStmt = db.prepare('UPDATE access_tokens SET used = 1 WHERE id = ?');
    this.deleteAccessStmt = db.prepare('DELETE FROM access_tokens WHERE id = ?');
    this.deleteAccessForDeviceStmt = db.prepare('DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?');
    this.deleteAccessForRefreshStmt = db.prepare('DELETE FROM access_tokens WHERE refresh_token_id = ?');
    this.findRefreshStmt = db.prepare<[Buffer], RefreshRow>(
      'SELECT id, user_id, device_id, next_token_id FROM refresh_tokens WHERE token_hash = ?',
    );
    this.insertRefreshStmt = db.prepare(
      'INSERT INTO refresh_tokens (token_hash, user_id, device_id, created_ts) VALUES (@hash, @userId, @deviceId, @createdTs)',
    );
    this.setNextStmt = db.prepare('UPDATE refresh_tokens SET next_token_id = ? WHERE id = ?');
    this.deleteRefreshStmt = db.prepare('DELETE FROM refresh_tokens WHERE id = ?');
    this.deletePredecessorsStmt = db.prepare('DELETE FROM refresh_tokens WHERE next_token_id = ?');
    this.deleteRefreshForDeviceStmt = db.prepare('DELETE FROM refresh_tokens WHERE user_id = ? AND device_id = ?');
  }

  findAccessToken(hash: Buffer): AccessTokenInfo | undefined {
    const r = this.findAccessStmt.get(hash);
    if (!r) return undefined;
    return {
      id: r.id,
      userId: r.user_id,
      deviceId: r.device_id,
      refreshTokenId: r.refresh_token_id,
      used: r.used === 1,
      expiresTs: r.expires_ts,
      isAdmin: r.is_admin === 1,
      deactivated: r.deactivated === 1,
    };
  }

  insertAccessToken(t: {
    hash: Buffer;
    userId: string;
    deviceId: string;
    refreshTokenId: number | null;
    createdTs: number;
    expiresTs: number | null;
  }): number {
    return Number(this.insertAccessStmt.run(t).lastInsertRowid);
  }

  markAccessTokenUsed(id: number): void {
    this.markUsedStmt.run(id);
  }

  deleteAccessToken(id: number): void {
    this.deleteAccessStmt.run(id);
  }

  /** Every access and refresh token of one device (the device itself stays). */
  deleteTokensForDevice(userId: string, deviceId: string): void {
    this.deleteAccessForDeviceStmt.run(userId, deviceId);
    this.deleteRefreshForDeviceStmt.run(userId, deviceId);
  }

  deleteAccessTokensForRefreshToken(refreshTokenId: number): void {
    this.deleteAccessForRefreshStmt.run(refreshTokenId);
  }

  findRefreshToken(hash: Buffer): RefreshTokenInfo | undefined {
    const r = this.findRefreshStmt.get(hash);
    return r && { id: r.id, userId: r.user_id, deviceId: r.device_id, nextTokenId: r.next_token_id };
  }

  insertRefreshToken(t: { hash: Buffer; userId: string; deviceId: string; createdTs: number }): number {
    return Number(this.insertRefreshStmt.run(t).lastInsertRowid);
  }

  setNextRefreshToken(id: number, nextId: number): void {
    this.setNextStmt.run(nextId, id);
  }

  /** Deletes a refresh token; its access tokens go with it (ON DELETE CASCADE). */
  deleteRefreshToken(id: number): void {
    this.deleteRefreshStmt.run(id);
  }

  /** Retires the refresh token(s) that `id` replaced, once `id`'s session is in use. */
  deletePredecessorsOf(id: number): void {
    this.deletePredecessorsStmt.run(id);
  }
}
