import type { Db } from './database.js';

/**
 * Positions of the non-event streams (account_data, receipts, presence, ...). A writer allocates
 * the next position inside its own transaction, so the row it writes and the position it takes
 * commit together; readers see a position only once its row is there. The events stream has its
 * own counter (events.stream_ordering).
 */
export type StreamName = 'account_data' | 'receipts' | 'presence' | 'to_device' | 'device_lists';

export class StreamPositionsRepo {
  private readonly nextStmt;
  private readonly currentStmt;
  private readonly allStmt;

  constructor(db: Db) {
    this.nextStmt = db.prepare<[string], { position: number }>(
      `INSERT INTO stream_positions (stream, position) VALUES (?, 1)
       ON CONFLICT (stream) DO UPDATE SET position = position + 1 RETURNING position`,
    );
    this.currentStmt = db.prepare<[string], { position: number }>('SELECT position FROM stream_positions WHERE stream = ?');
    this.allStmt = db.prepare<[], { stream: string; position: number }>('SELECT stream, position FROM stream_positions');
  }

  /** Allocates the stream's next position. Call inside the transaction that writes the row. */
  next(stream: StreamName): number {
    return this.nextStmt.get(stream)!.position;
  }

  /** Every stream's last allocated position in one read (a stream not there yet is at 0). */
  all(): (stream: StreamName) => number {
    const positions = new Map(this.allStmt.all().map((r) => [r.stream, r.position]));
    return (stream) => positions.get(stream) ?? 0;
  }

  /** The last allocated position (0 before the first). */
  current(stream: StreamName): number {
    return this.currentStmt.get(stream)?.position ?? 0;
  }
}
