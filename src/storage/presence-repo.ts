import type { Db } from './database.js';

/** Presence per user, stamped with a position in the presence stream. */

export type PresenceState = 'online' | 'unavailable' | 'offline';

export interface StoredPresence {
  readonly userId: string;
  readonly state: PresenceState;
  readonly statusMsg: string | null;
  readonly lastActiveTs: number;
  readonly currentlyActive: boolean;
  readonly streamId: number;
}

interface Row {
  user_id: string;
  state: string;
  status_msg: string | null;
  last_active_ts: number;
  currently_active: number;
  stream_id: number;
}

function toPresence(r: Row): StoredPresence {
  const state: PresenceState = r.state === 'online' || r.state === 'unavailable' ? r.state : 'offline';
  return {
    userId: r.user_id,
    state,
    statusMsg: r.status_msg,
    lastActiveTs: r.last_active_ts,
    currentlyActive: r.currently_active === 1,
    streamId: r.stream_id,
  };
}

const COLUMNS = 'user_id, state, status_msg, last_active_ts, currently_active, stream_id';

export class PresenceRepo {
  private readonly getStmt;
  private readonly putStmt;
  private readonly sinceStmt;
  private readonly notOfflineStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM presence WHERE user_id = ?`);
    this.putStmt = db.prepare(
      `INSERT INTO presence (${COLUMNS}) VALUES (@userId, @state, @statusMsg, @lastActiveTs, @currentlyActive, @streamId)
       ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, status_msg = excluded.status_msg,
         last_active_ts = excluded.last_active_ts, currently_active = excluded.currently_active, stream_id = excluded.stream_id`,
    );
    this.sinceStmt = db.prepare<[number, number], Row>(
      `SELECT ${COLUMNS} FROM presence WHERE stream_id > ? AND stream_id <= ? ORDER BY stream_id`,
    );
    this.notOfflineStmt = db.prepare<[], Row>(`SELECT ${COLUMNS} FROM presence WHERE state != 'offline'`);
  }

  get(userId: string): StoredPresence | undefined {
    const row = this.getStmt.get(userId);
    return row && toPresence(row);
  }

  put(p: StoredPresence): void {
    this.putStmt.run({ ...p, currentlyActive: p.currentlyActive ? 1 : 0 });
  }

  /** Users whose presence changed in (from, to]: one row each, the latest. */
  changedBetween(from: number, to: number): StoredPresence[] {
    return this.sinceStmt.all(from, to).map(toPresence);
  }

  /** Everyone not offline (start-up: their timers must run again). */
  notOffline(): StoredPresence[] {
    return this.notOfflineStmt.all().map(toPresence);
  }
}
