import type { Db } from './database.js';

/**
 * The user directory as a query (no table of its own to keep in step): users joined to a room
 * the searcher is joined to, or to a public (join_rule public) or world-readable room — Synapse's
 * default `user_directory.search_all_users: false` — or, with searchAll, every local account.
 * Display names come from local profiles, else from the member event.
 */

export interface DirectoryUser {
  readonly userId: string;
  readonly displayName: string | null;
  readonly avatarUrl: string | null;
}

interface Row {
  user_id: string;
  display_name: string | null;
  avatar_url: string | null;
}

/** Escapes LIKE wildcards in a search term (ESCAPE '\'). */
function likePattern(term: string): string {
  return `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class UserDirectoryRepo {
  private readonly visibleStmt;
  private readonly allStmt;

  constructor(db: Db) {
    // Ranking: an exact or prefix match of the localpart or display name first, then users with a
    // display name, then by ID — close to Synapse's ordering for small directories.
    const ranking = `ORDER BY (lower(u.user_id) LIKE '@' || @prefix ESCAPE '\\' OR lower(coalesce(u.display_name, '')) LIKE @prefix ESCAPE '\\') DESC,
         (u.display_name IS NOT NULL) DESC, u.user_id LIMIT @limit`;
    const match = `(lower(u.user_id) LIKE @pattern ESCAPE '\\' OR lower(coalesce(u.display_name, '')) LIKE @pattern ESCAPE '\\')`;
    this.visibleStmt = db.prepare<[{ me: string; pattern: string; prefix: string; limit: number }], Row>(
      `WITH visible_rooms AS (
         SELECT room_id FROM current_state WHERE type = 'm.room.member' AND state_key = @me AND membership = 'join'
         UNION
         SELECT cs.room_id FROM current_state cs JOIN events e ON e.event_id = cs.event_id
           WHERE cs.type = 'm.room.join_rules' AND cs.state_key = '' AND json_extract(e.json, '$.content.join_rule') = 'public'
         UNION
         SELECT cs.room_id FROM current_state cs JOIN events e ON e.event_id = cs.event_id
           WHERE cs.type = 'm.room.history_visibility' AND cs.state_key = ''
             AND json_extract(e.json, '$.content.history_visibility') = 'world_readable'
       ),
       members AS (
         SELECT cs.state_key AS user_id, max(cs.event_id) AS event_id FROM current_state cs
         WHERE cs.type = 'm.room.member' AND cs.membership = 'join' AND cs.room_id IN (SELECT room_id FROM visible_rooms)
         GROUP BY cs.state_key
       ),
       u AS (
         SELECT m.user_id, coalesce(p.displayname, rm.displayname) AS display_name, coalesce(p.avatar_url, rm.avatar_url) AS avatar_url
         FROM members m
         LEFT JOIN profiles p ON p.user_id = m.user_id
         LEFT JOIN room_memberships rm ON rm.event_id = m.event_id
         LEFT JOIN accounts a ON a.user_id = m.user_id
         WHERE coalesce(a.deactivated, 0) = 0
       )
       SELECT u.user_id, u.display_name, u.avatar_url FROM u WHERE ${match} ${ranking}`,
    );
    this.allStmt = db.prepare<[{ pattern: string; prefix: string; limit: number }], Row>(
      `WITH u AS (
         SELECT a.user_id, p.displayname AS display_name, p.avatar_url FROM accounts a
         LEFT JOIN profiles p ON p.user_id = a.user_id WHERE a.deactivated = 0
       )
       SELECT u.user_id, u.display_name, u.avatar_url FROM u WHERE ${match} ${ranking}`,
    );
  }

  /** Up to `limit` users visible to `searcher` matching `term` (case-insensitive substring). */
  search(searcher: string, term: string, limit: number, searchAll: boolean): DirectoryUser[] {
    const params = { pattern: likePattern(term), prefix: likePattern(term).slice(1), limit };
    const rows = searchAll ? this.allStmt.all(params) : this.visibleStmt.all({ ...params, me: searcher });
    return rows.map((r) => ({ userId: r.user_id, displayName: r.display_name, avatarUrl: r.avatar_url }));
  }
}
