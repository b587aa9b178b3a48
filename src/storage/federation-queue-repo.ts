import type { Db } from './database.js';

/**
 * The outbound federation queue (federation_outbox) and per-destination backoff
 * (federation_destinations). Items are appended in one transaction per enqueue and deleted only
 * once the destination acknowledged the transaction that carried them.
 */

export type OutboxKind = 'pdu' | 'edu';

export interface OutboxItem {
  readonly id: number;
  readonly kind: OutboxKind;
  readonly json: string;
  readonly enqueuedTs: number;
}

export interface DestinationBackoff {
  readonly failureCount: number;
  readonly retryAtTs: number;
}

export class FederationQueueRepo {
  private readonly insertStmt;
  private readonly peekStmt;
  private readonly deleteUpToStmt;
  private readonly pendingDestinationsStmt;
  private readonly countStmt;
  private readonly getBackoffStmt;
  private readonly setBackoffStmt;
  private readonly clearBackoffStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare('INSERT INTO federation_outbox (destination, kind, json, enqueued_ts) VALUES (?, ?, ?, ?)');
    this.peekStmt = db.prepare<[string, number], { id: number; kind: OutboxKind; json: string; enqueued_ts: number }>(
      'SELECT id, kind, json, enqueued_ts FROM federation_outbox WHERE destination = ? ORDER BY id LIMIT ?',
    );
    this.deleteUpToStmt = db.prepare('DELETE FROM federation_outbox WHERE destination = ? AND id <= ?');
    this.pendingDestinationsStmt = db.prepare<[], { destination: string }>('SELECT DISTINCT destination FROM federation_outbox');
    this.countStmt = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM federation_outbox WHERE destination = ?');
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

  /** Appends one item for each destination (one transaction); returns the ids in order. */
  append(destinations: readonly string[], kind: OutboxKind, json: string, nowTs: number): number[] {
    return this.db.transaction(() => destinations.map((d) => Number(this.insertStmt.run(d, kind, json, nowTs).lastInsertRowid)))();
  }

  /** The oldest `limit` items for a destination, in enqueue order. */
  peek(destination: string, limit: number): OutboxItem[] {
    return this.peekStmt.all(destination, limit).map((r) => ({ id: r.id, kind: r.kind, json: r.json, enqueuedTs: r.enqueued_ts }));
  }

  /**
   * The destination took (or for good refused) everything up to and including `lastId`: drop it
   * and end any backoff, in one transaction.
   */
  transactionDone(destination: string, lastId: number): void {
    this.db.transaction(() => {
      this.deleteUpToStmt.run(destination, lastId);
      this.clearBackoffStmt.run(destination);
    })();
  }

  pendingDestinations(): string[] {
    return this.pendingDestinationsStmt.all().map((r) => r.destination);
  }

  pendingCount(destination: string): number {
    return this.countStmt.get(destination)!.n;
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
