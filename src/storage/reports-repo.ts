import type { Db } from './database.js';

/** Content reports (rooms, events, users) for the server's administrators. */

export interface NewReport {
  readonly reporter: string;
  readonly kind: 'room' | 'event' | 'user';
  readonly roomId: string | null;
  readonly eventId: string | null;
  readonly targetUserId: string | null;
  readonly reason: string | null;
  readonly receivedTs: number;
}

export interface StoredReport extends NewReport {
  readonly id: number;
}

interface Row {
  id: number;
  reporter: string;
  kind: string;
  room_id: string | null;
  event_id: string | null;
  target_user_id: string | null;
  reason: string | null;
  received_ts: number;
}

export class ReportsRepo {
  private readonly insertStmt;
  private readonly listStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO content_reports (reporter, kind, room_id, event_id, target_user_id, reason, received_ts)
       VALUES (@reporter, @kind, @roomId, @eventId, @targetUserId, @reason, @receivedTs)`,
    );
    this.listStmt = db.prepare<[number], Row>('SELECT * FROM content_reports ORDER BY id DESC LIMIT ?');
  }

  add(report: NewReport): number {
    return Number(this.insertStmt.run(report).lastInsertRowid);
  }

  /** The newest reports first (admin tooling, tests). */
  latest(limit: number): StoredReport[] {
    return this.listStmt.all(limit).map((r) => ({
      id: r.id,
      reporter: r.reporter,
      kind: r.kind === 'room' || r.kind === 'event' ? r.kind : 'user',
      roomId: r.room_id,
      eventId: r.event_id,
      targetUserId: r.target_user_id,
      reason: r.reason,
      receivedTs: r.received_ts,
    }));
  }
}
