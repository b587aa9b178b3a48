import type { Db } from './database.js';

/** Sync filters, per user. Identical filters (same canonical JSON) share one id. */
export class FiltersRepo {
  private readonly getStmt;
  private readonly findStmt;
  private readonly nextIdStmt;
  private readonly insertStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare<[string, number], { filter_json: string }>(
      'SELECT filter_json FROM filters WHERE user_id = ? AND filter_id = ?',
    );
    this.findStmt = db.prepare<[string, string], { filter_id: number }>(
      'SELECT filter_id FROM filters WHERE user_id = ? AND filter_json = ?',
    );
    this.nextIdStmt = db.prepare<[string], { next: number }>(
      'SELECT coalesce(max(filter_id) + 1, 0) AS next FROM filters WHERE user_id = ?',
    );
    this.insertStmt = db.prepare('INSERT INTO filters (user_id, filter_id, filter_json) VALUES (?, ?, ?)');
  }

  /** Stores the filter (canonical JSON text) and returns its id. */
  add(userId: string, canonicalFilterJson: string): number {
    return this.db.transaction(() => {
      const existing = this.findStmt.get(userId, canonicalFilterJson);
      if (existing) return existing.filter_id;
      const id = this.nextIdStmt.get(userId)!.next;
      this.insertStmt.run(userId, id, canonicalFilterJson);
      return id;
    })();
  }

  get(userId: string, filterId: number): string | undefined {
    return this.getStmt.get(userId, filterId)?.filter_json;
  }
}
