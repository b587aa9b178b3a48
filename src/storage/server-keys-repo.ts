import type { Db } from './database.js';

/** Remote servers' signing keys and the origin-signed responses they came in (see 0004_federation.sql). */

export interface StoredServerKey {
  readonly publicKey: Uint8Array;
  readonly validUntilTs: number;
  readonly expired: boolean;
  readonly fetchedTs: number;
}

export interface ServerKeyWrite {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  readonly validUntilTs: number;
  readonly expired: boolean;
}

interface KeyRow {
  public_key: Buffer;
  valid_until_ts: number;
  expired: number;
  fetched_ts: number;
}

export class ServerKeysRepo {
  private readonly getStmt;
  private readonly responsesStmt;
  private readonly upsertStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare<[string, string], KeyRow>(
      'SELECT public_key, valid_until_ts, expired, fetched_ts FROM server_keys WHERE server_name = ? AND key_id = ?',
    );
    this.responsesStmt = db.prepare<[string], { key_id: string; valid_until_ts: number; response_json: string }>(
      'SELECT key_id, valid_until_ts, response_json FROM server_keys WHERE server_name = ? ORDER BY fetched_ts DESC',
    );
    // A response only replaces what we hold when it vouches for at least as long: a stale copy
    // relayed by a notary must not shorten a key we fetched fresh from its server.
    this.upsertStmt = db.prepare(
      `INSERT INTO server_keys (server_name, key_id, public_key, valid_until_ts, expired, fetched_ts, response_json)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (server_name, key_id) DO UPDATE SET
         public_key = excluded.public_key, valid_until_ts = excluded.valid_until_ts, expired = excluded.expired,
         fetched_ts = excluded.fetched_ts, response_json = excluded.response_json
       WHERE excluded.valid_until_ts >= server_keys.valid_until_ts`,
    );
  }

  get(serverName: string, keyId: string): StoredServerKey | undefined {
    const row = this.getStmt.get(serverName, keyId);
    if (!row) return undefined;
    return { publicKey: new Uint8Array(row.public_key), validUntilTs: row.valid_until_ts, expired: row.expired !== 0, fetchedTs: row.fetched_ts };
  }

  /** Every key of one response, in one transaction. */
  store(serverName: string, keys: readonly ServerKeyWrite[], responseJson: string, fetchedTs: number): void {
    this.db.transaction(() => {
      for (const k of keys) {
        this.upsertStmt.run(serverName, k.keyId, Buffer.from(k.publicKey), k.validUntilTs, k.expired ? 1 : 0, fetchedTs, responseJson);
      }
    })();
  }

  /**
   * The distinct stored responses covering `keyIds` (all of the server's keys when empty), newest
   * first, each with the best validity it gives one of the keys asked for.
   */
  responsesFor(serverName: string, keyIds: readonly string[]): { readonly json: string; readonly validUntilTs: number }[] {
    const wanted = new Set(keyIds);
    const byJson = new Map<string, number>();
    for (const row of this.responsesStmt.all(serverName)) {
      if (wanted.size > 0 && !wanted.has(row.key_id)) continue;
      byJson.set(row.response_json, Math.max(byJson.get(row.response_json) ?? 0, row.valid_until_ts));
    }
    return [...byJson].map(([json, validUntilTs]) => ({ json, validUntilTs }));
  }
}
