import type { Db } from './database.js';

/** OpenID tokens (client openid.yaml, server-server openid.yaml), stored by hash. */
export class OpenIdTokensRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly purgeStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare('INSERT INTO openid_tokens (token_hash, user_id, expires_ts) VALUES (?, ?, ?)');
    this.getStmt = db.prepare<[Buffer, number], { user_id: string }>(
      'SELECT user_id FROM openid_tokens WHERE token_hash = ? AND expires_ts > ?',
    );
    this.purgeStmt = db.prepare('DELETE FROM openid_tokens WHERE expires_ts <= ?');
  }

  insert(tokenHash: Buffer, userId: string, expiresTs: number): void {
    this.insertStmt.run(tokenHash, userId, expiresTs);
  }

  /** The user a still-valid token was issued to. */
  userOf(tokenHash: Buffer, now: number): string | undefined {
    return this.getStmt.get(tokenHash, now)?.user_id;
  }

  /** Drops expired tokens (called when issuing, so the table stays small without a timer). */
  purgeExpired(now: number): void {
    this.purgeStmt.run(now);
  }
}
