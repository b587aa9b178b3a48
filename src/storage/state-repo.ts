import type { Db } from './database.js';

/**
 * Room state, two ways:
 * - state groups (Synapse's idea): the state after an event is a group, stored as the delta
 *   against a previous group; every SNAPSHOT_INTERVAL deltas a group is written out in full, so
 *   "state at event X" is a walk of at most that many groups, one indexed query (recursive CTE).
 * - current_state: the resolved state now, one row per (type, state_key), with the membership
 *   of m.room.member rows copied out so membership questions are index look-ups.
 */

/** A delta chain longer than this is cut by writing a full snapshot. */
export const SNAPSHOT_INTERVAL = 100;

export interface StateEntry {
  readonly type: string;
  readonly stateKey: string;
  readonly eventId: string;
}

/** A delta entry: eventId null removes the key relative to the previous group. */
export interface StateDeltaEntry {
  readonly type: string;
  readonly stateKey: string;
  readonly eventId: string | null;
}

export interface StateGroupInfo {
  readonly id: number;
  readonly roomId: string;
  readonly prevGroup: number | null;
  readonly chainLength: number;
}

// The chain from a group back to its snapshot, nearest first (n = 0 is the group itself).
const CHAIN = `WITH RECURSIVE chain(id, n) AS (
    SELECT @group, 0
    UNION ALL
    SELECT g.prev_group, c.n + 1 FROM state_groups g JOIN chain c ON g.id = c.id WHERE g.prev_group IS NOT NULL
  )`;

export class StateRepo {
  private readonly insertGroupStmt;
  private readonly insertGroupStateStmt;
  private readonly groupStmt;
  private readonly groupStateStmt;
  private readonly groupLookupStmt;
  private readonly groupLookupTypeStmt;
  private readonly currentStmt;
  private readonly currentRoomStmt;
  private readonly currentTypeStmt;
  private readonly setCurrentStmt;
  private readonly removeCurrentStmt;

  constructor(db: Db) {
    this.insertGroupStmt = db.prepare(
      'INSERT INTO state_groups (room_id, event_id, prev_group, chain_length) VALUES (?, ?, ?, ?)',
    );
    this.insertGroupStateStmt = db.prepare(
      'INSERT INTO state_groups_state (state_group, type, state_key, event_id) VALUES (?, ?, ?, ?)',
    );
    this.groupStmt = db.prepare<[number], { id: number; room_id: string; prev_group: number | null; chain_length: number }>(
      'SELECT id, room_id, prev_group, chain_length FROM state_groups WHERE id = ?',
    );
    this.groupStateStmt = db.prepare<{ group: number }, { type: string; state_key: string; event_id: string | null }>(
      `${CHAIN} SELECT s.type, s.state_key, s.event_id FROM chain c JOIN state_groups_state s ON s.state_group = c.id
       ORDER BY c.n DESC`,
    );
    this.groupLookupStmt = db.prepare<{ group: number; type: string; stateKey: string }, { event_id: string | null }>(
      `${CHAIN} SELECT s.event_id FROM chain c
       JOIN state_groups_state s ON s.state_group = c.id AND s.type = @type AND s.state_key = @stateKey
       ORDER BY c.n LIMIT 1`,
    );
    this.groupLookupTypeStmt = db.prepare<{ group: number; type: string }, { state_key: string; event_id: string | null }>(
      `${CHAIN} SELECT s.state_key, s.event_id FROM chain c
       JOIN state_groups_state s ON s.state_group = c.id AND s.type = @type
       ORDER BY c.n DESC`,
    );
    this.currentStmt = db.prepare<[string, string, string], { event_id: string }>(
      'SELECT event_id FROM current_state WHERE room_id = ? AND type = ? AND state_key = ?',
    );
    this.currentRoomStmt = db.prepare<[string], { type: string; state_key: string; event_id: string }>(
      'SELECT type, state_key, event_id FROM current_state WHERE room_id = ?',
    );
    this.currentTypeStmt = db.prepare<[string, string], { state_key: string; event_id: string }>(
      'SELECT state_key, event_id FROM current_state WHERE room_id = ? AND type = ?',
    );
    this.setCurrentStmt = db.prepare(
      `INSERT INTO current_state (room_id, type, state_key, event_id, membership) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id, membership = excluded.membership`,
    );
    this.removeCurrentStmt = db.prepare('DELETE FROM current_state WHERE room_id = ? AND type = ? AND state_key = ?');
  }

  /**
   * Writes a state group: `entries` is the whole state when prevGroup is null (a snapshot), else
   * the delta against prevGroup. chainLength counts the deltas back to the snapshot.
   */
  createGroup(roomId: string, eventId: string | null, prevGroup: number | null, chainLength: number, entries: readonly StateDeltaEntry[]): number {
    const id = Number(this.insertGroupStmt.run(roomId, eventId, prevGroup, prevGroup === null ? 0 : chainLength).lastInsertRowid);
    for (const entry of entries) {
      if (prevGroup === null && entry.eventId === null) continue;
      this.insertGroupStateStmt.run(id, entry.type, entry.stateKey, entry.eventId);
    }
    return id;
  }

  group(id: number): StateGroupInfo | undefined {
    const r = this.groupStmt.get(id);
    return r && { id: r.id, roomId: r.room_id, prevGroup: r.prev_group, chainLength: r.chain_length };
  }

  /** The full state of a group. */
  stateOfGroup(group: number): StateEntry[] {
    // Rows come snapshot first, nearest delta last, so later rows override earlier ones.
    const state = new Map<string, StateEntry>();
    for (const row of this.groupStateStmt.iterate({ group })) {
      const key = `${row.type.length}:${row.type}${row.state_key}`;
      if (row.event_id === null) state.delete(key);
      else state.set(key, { type: row.type, stateKey: row.state_key, eventId: row.event_id });
    }
    return [...state.values()];
  }

  /** One (type, state_key) of a group's state. */
  lookupInGroup(group: number, type: string, stateKey: string): string | undefined {
    return this.groupLookupStmt.get({ group, type, stateKey })?.event_id ?? undefined;
  }

  /** Every state key of one type in a group's state (e.g. the members at an event). */
  lookupTypeInGroup(group: number, type: string): StateEntry[] {
    const state = new Map<string, string | null>();
    for (const row of this.groupLookupTypeStmt.iterate({ group, type })) state.set(row.state_key, row.event_id);
    const out: StateEntry[] = [];
    for (const [stateKey, eventId] of state) if (eventId !== null) out.push({ type, stateKey, eventId });
    return out;
  }

  current(roomId: string, type: string, stateKey: string): string | undefined {
    return this.currentStmt.get(roomId, type, stateKey)?.event_id;
  }

  currentOfRoom(roomId: string): StateEntry[] {
    return this.currentRoomStmt.all(roomId).map((r) => ({ type: r.type, stateKey: r.state_key, eventId: r.event_id }));
  }

  currentOfType(roomId: string, type: string): StateEntry[] {
    return this.currentTypeStmt.all(roomId, type).map((r) => ({ type, stateKey: r.state_key, eventId: r.event_id }));
  }

  /** `membership` only for m.room.member rows (denormalised for membership queries). */
  setCurrent(roomId: string, type: string, stateKey: string, eventId: string, membership: string | null): void {
    this.setCurrentStmt.run(roomId, type, stateKey, eventId, membership);
  }

  removeCurrent(roomId: string, type: string, stateKey: string): void {
    this.removeCurrentStmt.run(roomId, type, stateKey);
  }
}
