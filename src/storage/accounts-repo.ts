import type { Db } from './database.js';

export interface Account {
  readonly userId: string;
  /** PHC-format hash; null when the account cannot log in with a password (e.g. deactivated). */
  readonly passwordHash: string | null;
  readonly isAdmin: boolean;
  readonly isGuest: boolean;
  readonly userType: string | null;
  readonly deactivated: boolean;
  readonly createdTs: number;
}

interface AccountRow {
  user_id: string;
  password_hash: string | null;
  is_admin: number;
  is_guest: number;
  user_type: string | null;
  deactivated: number;
  created_ts: number;
}

const toAccount = (r: AccountRow): Account => ({
  userId: r.user_id,
  passwordHash: r.password_hash,
  isAdmin: r.is_admin === 1,
  isGuest: r.is_guest === 1,
  userType: r.user_type,
  deactivated: r.deactivated === 1,
  createdTs: r.created_ts,
});

export class AccountsRepo {
  private readonly byId;
  private readonly insertStmt;
  private readonly setPasswordStmt;
  private readonly setDeactivatedStmt;
  private readonly setAdminStmt;
  private readonly countStmt;

  constructor(db: Db) {
    this.byId = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE user_id = ?');
    this.insertStmt = db.prepare(
      `INSERT INTO accounts (user_id, password_hash, is_admin, is_guest, user_type, created_ts)
       VALUES (@userId, @passwordHash, @isAdmin, @isGuest, @userType, @createdTs) ON CONFLICT DO NOTHING`,
    );
    this.setPasswordStmt = db.prepare('UPDATE accounts SET password_hash = ? WHERE user_id = ?');
    this.setDeactivatedStmt = db.prepare('UPDATE accounts SET deactivated = ? WHERE user_id = ?');
    this.setAdminStmt = db.prepare('UPDATE accounts SET is_admin = ? WHERE user_id = ?');
    this.countStmt = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM accounts');
  }

  get(userId: string): Account | undefined {
    const row = this.byId.get(userId);
    return row && toAccount(row);
  }

  /** Returns false when the user ID is taken (including by a deactivated account). */
  insert(account: Omit<Account, 'deactivated'>): boolean {
    const result = this.insertStmt.run({
      userId: account.userId,
      passwordHash: account.passwordHash,
      isAdmin: account.isAdmin ? 1 : 0,
      isGuest: account.isGuest ? 1 : 0,
      userType: account.userType,
      createdTs: account.createdTs,
    });
    return result.changes === 1;
  }

  setPasswordHash(userId: string, hash: string | null): void {
    this.setPasswordStmt.run(hash, userId);
  }

  setDeactivated(userId: string, deactivated: boolean): void {
    this.setDeactivatedStmt.run(deactivated ? 1 : 0, userId);
  }

  setAdmin(userId: string, isAdmin: boolean): void {
    this.setAdminStmt.run(isAdmin ? 1 : 0, userId);
  }

  count(): number {
    return this.countStmt.get()!.n;
  }
}
