import type { Db } from './database.js';

/**
 * DAG walks for the federation read endpoints: the auth chain of events (/event_auth, /state,
 * send_join), and prev-event edges for walking history backwards (/backfill,
 * /get_missing_events). Walks are bounded by a limit the caller passes, so no request can make
 * us read the whole room.
 */
export class FederationReadsRepo {
  private readonly authChainStmt;
  private readonly prevEdgesStmt;

  constructor(db: Db) {
    // UNION (not UNION ALL) drops IDs already seen, so the recursion ends even on a cyclic
    // (hostile) auth graph.
    this.authChainStmt = db.prepare<[string, number], { id: string }>(
      `WITH RECURSIVE chain(id) AS (
         SELECT auth_event_id FROM event_auth_edges WHERE event_id IN (SELECT value FROM json_each(?))
         UNION
         SELECT a.auth_event_id FROM event_auth_edges a JOIN chain c ON a.event_id = c.id
       )
       SELECT id FROM chain LIMIT ?`,
    );
    this.prevEdgesStmt = db.prepare<[string], { event_id: string; prev_event_id: string }>(
      'SELECT event_id, prev_event_id FROM event_edges WHERE event_id IN (SELECT value FROM json_each(?))',
    );
  }

  /** Every event in the auth chains of `eventIds` (not the events themselves, unless one authorises another), at most `limit`. */
  authChainIds(eventIds: readonly string[], limit: number): string[] {
    if (eventIds.length === 0) return [];
    return this.authChainStmt.all(JSON.stringify(eventIds), limit).map((r) => r.id);
  }

  /** The prev events of each of `eventIds` (events we have no edges for are absent). */
  prevEvents(eventIds: readonly string[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    if (eventIds.length === 0) return out;
    for (const row of this.prevEdgesStmt.all(JSON.stringify(eventIds))) {
      let list = out.get(row.event_id);
      if (!list) out.set(row.event_id, (list = []));
      list.push(row.prev_event_id);
    }
    return out;
  }
}
