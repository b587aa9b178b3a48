import type { Db } from './database.js';

/**
 * The outbound federation queue (federation_outbox) and per-destination backoff
 * (federation_destinations). Items are appended in one transaction per enqueue and deleted once
 * the destination acknowledged the transaction that carried them, or when the queue's policy
 * (outbound-queue.ts) decides they are no longer worth sending: a PDU collapsed away during
 * catch-up, an EDU replaced by a newer one of the same key, a stale typing notification, an item
 * shed under the per-destination cap (migrations 0004, 0012).
 */

export type OutboxKind = 'pdu' | 'edu';

export interface OutboxItem {
  readonly id: number;
  readonly kind: OutboxKind;
  readonly json: string;
  readonly enqueuedTs: number;
  /** EDUs: their edu_type (null for items queued before it was recorded). */
  readonly eduType: string | null;
}

/** A queued PDU as catch-up sees it: which room, how deep. */
export interface QueuedPdu {
  readonly id: number;
  readonly roomId: string;
  readonly depth: number | null;
}

export interface EduToQueue {
  readonly json: string;
  readonly eduType: string;
  /** Older queued EDUs with this key are replaced by this one; null: never replaced. */
  readonly coalesceKey: string | null;
}

export interface DestinationBackoff {
  readonly failureCount: number;
  readonly retryAtTs: number;
}

export class FederationQueueRepo {
  private readonly insertPduStmt;
  private readonly insertEduStmt;
  private readonly deleteKeyStmt;
  private readonly peekStmt;
  private readonly deleteUpToStmt;
  private readonly pendingDestinationsStmt;
  private readonly countStmt;
  private readonly countKindStmt;
  private readonly nthPduStmt;
  private readonly newestInRoomStmt;
  private readonly pdusStmt;
  private readonly deleteIdStmt;
  private readonly deleteStaleStmt;
  private readonly shedTypeStmt;
  private readonly shedUntypedStmt;
  private readonly shedPdusStmt;
  private readonly getBackoffStmt;
  private readonly setBackoffStmt;
  private readonly clearBackoffStmt;

  constructor(private readonly db: Db) {
    this.insertPduStmt = db.prepare(
      "INSERT INTO federation_outbox (destination, kind, json, enqueued_ts, room_id, depth) VALUES (?, 'pdu', ?, ?, ?, ?)",
    );
    this.insertEduStmt = db.prepare(
      "INSERT INTO federation_outbox (destination, kind, json, enqueued_ts, edu_type, coalesce_key) VALUES (?, 'edu', ?, ?, ?, ?)",
    );
    this.deleteKeyStmt = db.prepare('DELETE FROM federation_outbox WHERE destination = ? AND coalesce_key = ?');
    this.peekStmt = db.prepare<[string, number], { id: number; kind: OutboxKind; json: string; enqueued_ts: number; edu_type: string | null }>(
      'SELECT id, kind, json, enqueued_ts, edu_type FROM federation_outbox WHERE destination = ? ORDER BY id LIMIT ?',
    );
    this.deleteUpToStmt = db.prepare('DELETE FROM federation_outbox WHERE destination = ? AND kind = ? AND id <= ?');
    this.pendingDestinationsStmt = db.prepare<[], { destination: string }>('SELECT DISTINCT destination FROM federation_outbox');
    this.countStmt = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM federation_outbox WHERE destination = ?');
    this.countKindStmt = db.prepare<[string, OutboxKind], { n: number }>('SELECT count(*) AS n FROM federation_outbox WHERE destination = ? AND kind = ?');
    this.nthPduStmt = db.prepare<[string, number], { id: number }>(
      "SELECT id FROM federation_outbox WHERE destination = ? AND room_id IS NOT NULL AND kind = 'pdu' ORDER BY room_id, id LIMIT 1 OFFSET ?",
    );
    this.newestInRoomStmt = db.prepare<[string, string, number], { id: number; depth: number | null }>(
      'SELECT id, depth FROM federation_outbox WHERE destination = ? AND room_id = ? ORDER BY id DESC LIMIT ?',
    );
    this.pdusStmt = db.prepare<[string], { id: number; room_id: string; depth: number | null }>(
      'SELECT id, room_id, depth FROM federation_outbox WHERE destination = ? AND room_id IS NOT NULL ORDER BY room_id, id',
    );
    this.deleteIdStmt = db.prepare('DELETE FROM federation_outbox WHERE destination = ? AND id = ?');
    this.deleteStaleStmt = db.prepare("DELETE FROM federation_outbox WHERE destination = ? AND kind = 'edu' AND edu_type = ? AND enqueued_ts < ?");
    this.shedTypeStmt = db.prepare(
      `DELETE FROM federation_outbox WHERE id IN (
         SELECT id FROM federation_outbox WHERE destination = ? AND kind = 'edu' AND edu_type = ? ORDER BY id LIMIT ?)`,
    );
    // EDUs of no known kind (or queued before types were recorded), except the kinds listed.
    this.shedUntypedStmt = db.prepare<[string, string, number]>(
      `DELETE FROM federation_outbox WHERE id IN (
         SELECT id FROM federation_outbox WHERE destination = ? AND kind = 'edu'
           AND (edu_type IS NULL OR edu_type NOT IN (SELECT value FROM json_each(?))) ORDER BY id LIMIT ?)`,
    );
    // PDUs other than the newest queued of their room (which carries the room forward).
    this.shedPdusStmt = db.prepare(
      `DELETE FROM federation_outbox WHERE id IN (
         SELECT o.id FROM federation_outbox o WHERE o.destination = ? AND o.kind = 'pdu'
           AND (o.room_id IS NULL OR o.id < (SELECT max(n.id) FROM federation_outbox n WHERE n.destination = o.destination AND n.room_id = o.room_id))
         ORDER BY o.id LIMIT ?)`,
    );
    this.getBackoffStmt = db.prepare<[string], { failure_count: number; retry_at_ts: number }>(
      'SELECT failure_count, retry_at_ts FROM federation_destinations WHERE destination = ?',
    );
    this.setBackoffStmt = db.prepare(
      `INSERT INTO federation_destinations (destination, failure_count, retry_at_ts, last_failure_ts, last_error) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (destination) DO UPDATE SET failure_count = excluded.failure_count, retry_at_ts = excluded.retry_at_ts,
         last_failure_ts = excluded.last_failure_ts, last_error = excluded.last_error`,
    );
    this.clearBackoffStmt = db.prepare('DELETE FROM federation_destinations WHERE destination = ?');
  }

  /** Appends one PDU for each destination (one transaction). */
  appendPdu(destinations: readonly string[], json: string, roomId: string | null, depth: number | null, nowTs: number): void {
    this.db.transaction(() => {
      for (const d of destinations) this.insertPduStmt.run(d, json, nowTs, roomId, depth);
    })();
  }

  /**
   * Appends EDUs for a destination, each replacing the queued EDUs with its coalescing key (one
   * transaction). Returns how many older EDUs were replaced.
   */
  appendEdus(destination: string, edus: readonly EduToQueue[], nowTs: number): number {
    return this.db.transaction(() => {
      let replaced = 0;
      for (const edu of edus) {
        if (edu.coalesceKey !== null) replaced += this.deleteKeyStmt.run(destination, edu.coalesceKey).changes;
        this.insertEduStmt.run(destination, edu.json, nowTs, edu.eduType, edu.coalesceKey);
      }
      return replaced;
    })();
  }

  /** The oldest `limit` items for a destination, in enqueue order. */
  peek(destination: string, limit: number): OutboxItem[] {
    return this.peekStmt
      .all(destination, limit)
      .map((r) => ({ id: r.id, kind: r.kind, json: r.json, enqueuedTs: r.enqueued_ts, eduType: r.edu_type }));
  }

  /**
   * The destination took (or for good refused) everything up to and including `lastId`: drop it
   * and end any backoff, in one transaction. Returns how many items were removed.
   */
  transactionDone(destination: string, lastId: number): number {
    return this.db.transaction(() => {
      const removed = this.deleteUpToStmt.run(destination, 'pdu', lastId).changes + this.deleteUpToStmt.run(destination, 'edu', lastId).changes;
      this.clearBackoffStmt.run(destination);
      return removed;
    })();
  }

  pendingDestinations(): string[] {
    return this.pendingDestinationsStmt.all().map((r) => r.destination);
  }

  pendingCount(destination: string, kind?: OutboxKind): number {
    return (kind === undefined ? this.countStmt.get(destination) : this.countKindStmt.get(destination, kind))!.n;
  }

  /** Whether more than `n` PDUs with a known room are queued (reads at most n + 1 index entries). */
  hasMorePdusThan(destination: string, n: number): boolean {
    return this.nthPduStmt.get(destination, n) !== undefined;
  }

  /** The newest `limit` queued PDUs of a room, newest first. */
  newestInRoom(destination: string, roomId: string, limit: number): { id: number; depth: number | null }[] {
    return this.newestInRoomStmt.all(destination, roomId, limit);
  }

  /** Every queued PDU with a known room, grouped by room, oldest first within each. */
  queuedPdus(destination: string): QueuedPdu[] {
    return this.pdusStmt.all(destination).map((r) => ({ id: r.id, roomId: r.room_id, depth: r.depth }));
  }

  /** Removes these items (one transaction); returns how many there were. */
  remove(destination: string, ids: readonly number[]): number {
    if (ids.length === 0) return 0;
    return this.db.transaction(() => ids.reduce((n, id) => n + this.deleteIdStmt.run(destination, id).changes, 0))();
  }

  /** Removes EDUs of `eduType` queued before `beforeTs`; returns how many. */
  removeOlderEdus(destination: string, eduType: string, beforeTs: number): number {
    return this.deleteStaleStmt.run(destination, eduType, beforeTs).changes;
  }

  /** Removes the oldest `limit` EDUs of `eduType`; returns how many. */
  shedEdus(destination: string, eduType: string, limit: number): number {
    return limit <= 0 ? 0 : this.shedTypeStmt.run(destination, eduType, limit).changes;
  }

  /** Removes the oldest `limit` EDUs whose type is not in `keepTypes`; returns how many. */
  shedOtherEdus(destination: string, keepTypes: readonly string[], limit: number): number {
    return limit <= 0 ? 0 : this.shedUntypedStmt.run(destination, JSON.stringify(keepTypes), limit).changes;
  }

  /** Removes the oldest `limit` PDUs that are not the newest queued of their room; returns how many. */
  shedPdus(destination: string, limit: number): number {
    return limit <= 0 ? 0 : this.shedPdusStmt.run(destination, limit).changes;
  }

  backoff(destination: string): DestinationBackoff | undefined {
    const row = this.getBackoffStmt.get(destination);
    return row ? { failureCount: row.failure_count, retryAtTs: row.retry_at_ts } : undefined;
  }

  setBackoff(destination: string, failureCount: number, retryAtTs: number, nowTs: number, error: string): void {
    this.setBackoffStmt.run(destination, failureCount, retryAtTs, nowTs, error.slice(0, 1000));
  }

  clearBackoff(destination: string): void {
    this.clearBackoffStmt.run(destination);
  }
}
