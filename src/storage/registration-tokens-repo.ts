import type { Db } from './database.js';

export interface RegistrationToken {
  readonly token: string;
  readonly usesAllowed: number | null;
  readonly completed: number;
  readonly expiryTs: number | null;
}

interface Row {
  token: string;
  uses_allowed: number | null;
  completed: number;
  expiry_ts: number | null;
}

export class RegistrationTokensRepo {
  private readonly getStmt;
  private readonly upsertStmt;
  private readonly useStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string], Row>('SELECT * FROM registration_tokens WHERE token = ?');
    // Config-defined tokens: keep the usage count across restarts, take the configured limit.
    this.upsertStmt = db.prepare(
      `INSERT INTO registration_tokens (token, uses_allowed) VALUES (?, ?)
       ON CONFLICT (token) DO UPDATE SET uses_allowed = excluded.uses_allowed`,
    );
    this.useStmt = db.prepare(
      `UPDATE registration_tokens SET completed = completed + 1
       WHERE token = ? AND (uses_allowed IS NULL OR completed < uses_allowed) AND (expiry_ts IS NULL OR expiry_ts > ?)`,
    );
  }

  get(token: string): RegistrationToken | undefined {
    const r = this.getStmt.get(token);
    return r && { token: r.token, usesAllowed: r.uses_allowed, completed: r.completed, expiryTs: r.expiry_ts };
  }

  define(token: string, usesAllowed: number | null): void {
    this.upsertStmt.run(token, usesAllowed);
  }

  /** Counts one registration against the token; false when it is used up or expired. */
  use(token: string, now: number): boolean {
    return this.useStmt.run(token, now).changes === 1;
  }
}
