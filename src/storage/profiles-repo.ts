import { isJsonObject, type JsonObject } from '../core/json.js';
import type { Db } from './database.js';

export interface Profile {
  readonly displayname: string | null;
  readonly avatarUrl: string | null;
  /** Every other profile field (m.tz, custom keys). */
  readonly extra: JsonObject;
}

interface ProfileRow {
  displayname: string | null;
  avatar_url: string | null;
  extra_fields: string;
}

export class ProfilesRepo {
  private readonly getStmt;
  private readonly upsertStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string], ProfileRow>('SELECT displayname, avatar_url, extra_fields FROM profiles WHERE user_id = ?');
    this.upsertStmt = db.prepare(
      `INSERT INTO profiles (user_id, displayname, avatar_url, extra_fields) VALUES (@userId, @displayname, @avatarUrl, @extra)
       ON CONFLICT (user_id) DO UPDATE SET displayname = excluded.displayname, avatar_url = excluded.avatar_url,
         extra_fields = excluded.extra_fields`,
    );
  }

  get(userId: string): Profile | undefined {
    const row = this.getStmt.get(userId);
    if (!row) return undefined;
    const extra: unknown = JSON.parse(row.extra_fields);
    return { displayname: row.displayname, avatarUrl: row.avatar_url, extra: isJsonObject(extra) ? extra : {} };
  }

  put(userId: string, profile: Profile): void {
    this.upsertStmt.run({
      userId,
      displayname: profile.displayname,
      avatarUrl: profile.avatarUrl,
      extra: JSON.stringify(profile.extra),
    });
  }
}
