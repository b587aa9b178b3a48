import { isJsonObject, type JsonObject } from '../core/json.js';
import type { Db } from './database.js';

/** Pushers, one per (user, app_id, pushkey), each belonging to the device that set it. */

export interface StoredPusher {
  readonly userId: string;
  readonly appId: string;
  readonly pushkey: string;
  readonly deviceId: string;
  readonly kind: string;
  readonly appDisplayName: string;
  readonly deviceDisplayName: string;
  readonly profileTag: string | null;
  readonly lang: string;
  readonly data: JsonObject;
  readonly createdTs: number;
}

interface Row {
  user_id: string;
  app_id: string;
  pushkey: string;
  device_id: string;
  kind: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag: string | null;
  lang: string;
  data: string;
  created_ts: number;
}

const COLUMNS = 'user_id, app_id, pushkey, device_id, kind, app_display_name, device_display_name, profile_tag, lang, data, created_ts';

function toPusher(r: Row): StoredPusher {
  const data: unknown = JSON.parse(r.data);
  return {
    userId: r.user_id,
    appId: r.app_id,
    pushkey: r.pushkey,
    deviceId: r.device_id,
    kind: r.kind,
    appDisplayName: r.app_display_name,
    deviceDisplayName: r.device_display_name,
    profileTag: r.profile_tag,
    lang: r.lang,
    data: isJsonObject(data) ? data : {},
    createdTs: r.created_ts,
  };
}

export class PushersRepo {
  private readonly ofUserStmt;
  private readonly upsertStmt;
  private readonly deleteStmt;
  private readonly deleteOthersStmt;
  private readonly countStmt;

  constructor(db: Db) {
    this.ofUserStmt = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM pushers WHERE user_id = ? ORDER BY created_ts, app_id, pushkey`);
    this.upsertStmt = db.prepare(
      `INSERT INTO pushers (${COLUMNS}) VALUES (@userId, @appId, @pushkey, @deviceId, @kind, @appDisplayName, @deviceDisplayName, @profileTag, @lang, @data, @createdTs)
       ON CONFLICT (user_id, app_id, pushkey) DO UPDATE SET device_id = excluded.device_id, kind = excluded.kind,
         app_display_name = excluded.app_display_name, device_display_name = excluded.device_display_name,
         profile_tag = excluded.profile_tag, lang = excluded.lang, data = excluded.data`,
    );
    this.deleteStmt = db.prepare('DELETE FROM pushers WHERE user_id = ? AND app_id = ? AND pushkey = ?');
    this.deleteOthersStmt = db.prepare('DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_id != ?');
    this.countStmt = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM pushers WHERE user_id = ?');
  }

  ofUser(userId: string): StoredPusher[] {
    return this.ofUserStmt.all(userId).map(toPusher);
  }

  count(userId: string): number {
    return this.countStmt.get(userId)?.n ?? 0;
  }

  upsert(pusher: StoredPusher): void {
    this.upsertStmt.run({ ...pusher, data: JSON.stringify(pusher.data) });
  }

  delete(userId: string, appId: string, pushkey: string): void {
    this.deleteStmt.run(userId, appId, pushkey);
  }

  /** Removes the same (app_id, pushkey) registered by other users (a device changed hands). */
  deleteForOtherUsers(appId: string, pushkey: string, userId: string): void {
    this.deleteOthersStmt.run(appId, pushkey, userId);
  }
}
