import type { Db } from './database.js';

/**
 * Cross-signing (migrations/0010): the master, self-signing and user-signing keys of our users,
 * the master and self-signing keys we know of remote users, and the signatures uploaded through
 * /keys/signatures/upload (kept apart from the signed objects and merged in on read, so a key
 * replaced by its owner does not carry signatures of the old one).
 */

export type CrossSigningKeyType = 'master' | 'self_signing' | 'user_signing';

export interface StoredCrossSigningKey {
  readonly userId: string;
  readonly type: CrossSigningKeyType;
  /** Unpadded base64; the key ID is `ed25519:<publicKey>`. */
  readonly publicKey: string;
  readonly keyJson: string;
}

export interface StoredSignature {
  readonly targetUserId: string;
  /** A device ID, or a master key's public key. */
  readonly targetKeyId: string;
  readonly signerUserId: string;
  readonly signerKeyId: string;
  readonly signature: string;
}

interface KeyRow {
  user_id: string;
  key_type: CrossSigningKeyType;
  public_key: string;
  key_json: string;
}

interface SignatureRow {
  target_user_id: string;
  target_key_id: string;
  signer_user_id: string;
  signer_key_id: string;
  signature: string;
}

const toKey = (r: KeyRow): StoredCrossSigningKey => ({ userId: r.user_id, type: r.key_type, publicKey: r.public_key, keyJson: r.key_json });
const toSignature = (r: SignatureRow): StoredSignature => ({
  targetUserId: r.target_user_id,
  targetKeyId: r.target_key_id,
  signerUserId: r.signer_user_id,
  signerKeyId: r.signer_key_id,
  signature: r.signature,
});

export class CrossSigningRepo {
  private readonly getStmt;
  private readonly ofUserStmt;
  private readonly putStmt;
  private readonly deleteStmt;
  private readonly signaturesStmt;
  private readonly putSignatureStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string, string], KeyRow>(
      'SELECT user_id, key_type, public_key, key_json FROM e2e_cross_signing_keys WHERE user_id = ? AND key_type = ?',
    );
    this.ofUserStmt = db.prepare<[string], KeyRow>(
      'SELECT user_id, key_type, public_key, key_json FROM e2e_cross_signing_keys WHERE user_id = ?',
    );
    this.putStmt = db.prepare(
      `INSERT INTO e2e_cross_signing_keys (user_id, key_type, public_key, key_json, updated_ts) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id, key_type) DO UPDATE SET public_key = excluded.public_key, key_json = excluded.key_json,
         updated_ts = excluded.updated_ts
       WHERE e2e_cross_signing_keys.key_json != excluded.key_json`,
    );
    this.deleteStmt = db.prepare('DELETE FROM e2e_cross_signing_keys WHERE user_id = ? AND key_type = ?');
    this.signaturesStmt = db.prepare<[string, string], SignatureRow>(
      `SELECT target_user_id, target_key_id, signer_user_id, signer_key_id, signature FROM e2e_cross_signing_signatures
       WHERE target_user_id = ? AND target_key_id = ?`,
    );
    this.putSignatureStmt = db.prepare(
      `INSERT INTO e2e_cross_signing_signatures (target_user_id, target_key_id, signer_user_id, signer_key_id, signature)
       VALUES (@targetUserId, @targetKeyId, @signerUserId, @signerKeyId, @signature)
       ON CONFLICT DO UPDATE SET signature = excluded.signature`,
    );
  }

  get(userId: string, type: CrossSigningKeyType): StoredCrossSigningKey | undefined {
    const row = this.getStmt.get(userId, type);
    return row && toKey(row);
  }

  ofUser(userId: string): StoredCrossSigningKey[] {
    return this.ofUserStmt.all(userId).map(toKey);
  }

  /** Stores the key; returns whether it changed. */
  put(key: StoredCrossSigningKey, ts: number): boolean {
    return this.putStmt.run(key.userId, key.type, key.publicKey, key.keyJson, ts).changes > 0;
  }

  delete(userId: string, type: CrossSigningKeyType): boolean {
    return this.deleteStmt.run(userId, type).changes > 0;
  }

  /** Signatures uploaded for one device or master key. */
  signaturesOf(targetUserId: string, targetKeyId: string): StoredSignature[] {
    return this.signaturesStmt.all(targetUserId, targetKeyId).map(toSignature);
  }

  putSignature(signature: StoredSignature): void {
    this.putSignatureStmt.run(signature);
  }
}
