import type { Db } from './database.js';

/**
 * Reads of room timelines for clients: sync's new events, /messages pages in topological order,
 * /context, single events. Only events clients may see (in the timeline, accepted, not soft
 * failed: the rooms engineer's VISIBLE_EVENT_FILTER) are ever returned.
 */

export interface TimelineEvent {
  readonly streamOrdering: number;
  readonly depth: number;
  readonly eventId: string;
  readonly roomId: string;
  readonly type: string;
  readonly stateKey: string | null;
  readonly sender: string;
  readonly originServerTs: number;
  /** The PDU (canonical JSON). */
  readonly json: string;
  readonly redactedBy: string | null;
  readonly senderDeviceId: string | null;
  readonly txnId: string | null;
  readonly replacesState: string | null;
  readonly stateGroup: number | null;
}

interface Row {
  stream_ordering: number;
  depth: number;
  event_id: string;
  room_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  origin_server_ts: number;
  json: string;
  redacted_by: string | null;
  sender_device_id: string | null;
  txn_id: string | null;
  replaces_state: string | null;
  state_group: number | null;
}

function toEvent(r: Row): TimelineEvent {
  return {
    streamOrdering: r.stream_ordering,
    depth: r.depth,
    eventId: r.event_id,
    roomId: r.room_id,
    type: r.type,
    stateKey: r.state_key,
    sender: r.sender,
    originServerTs: r.origin_server_ts,
    json: r.json,
    redactedBy: r.redacted_by,
    senderDeviceId: r.sender_device_id,
    txnId: r.txn_id,
    replacesState: r.replaces_state,
    stateGroup: r.state_group,
  };
}

const COLUMNS = `e.stream_ordering, e.depth, e.event_id, e.room_id, e.type, e.state_key, e.sender, e.origin_server_ts,
  e.json, e.redacted_by, e.sender_device_id, e.txn_id, e.replaces_state, e.state_group`;
/** Same condition as events-repo's VISIBLE_EVENT_FILTER (kept literal so this file stands alone). */
const VISIBLE = 'e.outlier = 0 AND e.rejected_reason IS NULL AND e.soft_failed = 0';

/** A position between events in topological order: events with (depth, stream) <= it are before it. */
export interface TopoPosition {
  readonly depth: number;
  readonly stream: number;
}

export class TimelineRepo {
  private readonly maxStreamStmt;
  private readonly byIdStmt;
  private readonly byIdsStmt;
  private readonly stateByIdsStmt;
  private readonly newestStmt;
  private readonly roomsWithEventsStmt;
  private readonly topoBackStmt;
  private readonly topoFwdStmt;
  private readonly lastAtStreamStmt;
  private readonly topoEndStmt;
  private readonly stateAtStmt;
  private readonly stateChangesStmt;
  private readonly closestTsStmt;

  constructor(db: Db) {
    this.maxStreamStmt = db.prepare<[], { pos: number | null }>('SELECT max(stream_ordering) AS pos FROM events');
    this.byIdStmt = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM events e WHERE e.event_id = ? AND ${VISIBLE}`);
    this.byIdsStmt = db.prepare<[string], Row>(
      `SELECT ${COLUMNS} FROM events e WHERE e.event_id IN (SELECT value FROM json_each(?)) AND ${VISIBLE}`,
    );
    // State may have arrived as outliers (a remote join's room state): those are served too.
    this.stateByIdsStmt = db.prepare<[string], Row>(
      `SELECT ${COLUMNS} FROM events e WHERE e.event_id IN (SELECT value FROM json_each(?)) AND e.rejected_reason IS NULL`,
    );
    this.newestStmt = db.prepare<[string, number, number, number], Row>(
      `SELECT ${COLUMNS} FROM events e WHERE e.room_id = ? AND e.stream_ordering > ? AND e.stream_ordering <= ? AND ${VISIBLE}
       ORDER BY e.stream_ordering DESC LIMIT ?`,
    );
    this.roomsWithEventsStmt = db.prepare<[number, number], { room_id: string }>(
      'SELECT DISTINCT room_id FROM events WHERE stream_ordering > ? AND stream_ordering <= ?',
    );
    this.topoBackStmt = db.prepare<[string, number, number, number, number], Row>(
      `SELECT ${COLUMNS} FROM events e WHERE e.room_id = ?
         AND (e.depth < ? OR (e.depth = ? AND e.stream_ordering <= ?)) AND ${VISIBLE}
       ORDER BY e.depth DESC, e.stream_ordering DESC LIMIT ?`,
    );
    this.topoFwdStmt = db.prepare<[string, number, number, number, number], Row>(
      `SELECT ${COLUMNS} FROM events e WHERE e.room_id = ?
         AND (e.depth > ? OR (e.depth = ? AND e.stream_ordering > ?)) AND ${VISIBLE}
       ORDER BY e.depth ASC, e.stream_ordering ASC LIMIT ?`,
    );
    this.lastAtStreamStmt = db.prepare<[string, number], Row>(
      `SELECT ${COLUMNS} FROM events e WHERE e.room_id = ? AND e.stream_ordering <= ? AND ${VISIBLE}
       ORDER BY e.stream_ordering DESC LIMIT 1`,
    );
    this.topoEndStmt = db.prepare<[string, number], Row>(
      `SELECT ${COLUMNS} FROM events e WHERE e.room_id = ? AND e.stream_ordering <= ? AND ${VISIBLE}
       ORDER BY e.depth DESC, e.stream_ordering DESC LIMIT 1`,
    );
    this.stateAtStmt = db.prepare<[string, string, string, number], Row>(
      `SELECT ${COLUMNS} FROM events e WHERE e.room_id = ? AND e.type = ? AND e.state_key = ? AND e.stream_ordering < ? AND ${VISIBLE}
       ORDER BY e.stream_ordering DESC LIMIT 1`,
    );
    this.stateChangesStmt = db.prepare<[string, string, string], Row>(
      `SELECT ${COLUMNS} FROM events e WHERE e.room_id = ? AND e.type = ? AND e.state_key = ? AND ${VISIBLE}
       ORDER BY e.stream_ordering`,
    );
    const closest = (op: string, order: string) =>
      db.prepare<[string, number], Row>(
        `SELECT ${COLUMNS} FROM events e WHERE e.room_id = ? AND e.origin_server_ts ${op} ? AND ${VISIBLE}
         ORDER BY e.origin_server_ts ${order}, e.stream_ordering ${order} LIMIT 1`,
      );
    this.closestTsStmt = { f: closest('>=', 'ASC'), b: closest('<=', 'DESC') };
  }

  /** The events stream's current position. */
  maxStreamOrdering(): number {
    return this.maxStreamStmt.get()?.pos ?? 0;
  }

  get(eventId: string): TimelineEvent | undefined {
    const row = this.byIdStmt.get(eventId);
    return row && toEvent(row);
  }

  getMany(eventIds: readonly string[]): Map<string, TimelineEvent> {
    const out = new Map<string, TimelineEvent>();
    if (eventIds.length === 0) return out;
    for (const row of this.byIdsStmt.all(JSON.stringify(eventIds))) out.set(row.event_id, toEvent(row));
    return out;
  }

  /** State events (or anything an event refers to) by ID: like getMany, but outliers count. */
  getStateEvents(eventIds: readonly string[]): Map<string, TimelineEvent> {
    const out = new Map<string, TimelineEvent>();
    if (eventIds.length === 0) return out;
    for (const row of this.stateByIdsStmt.all(JSON.stringify(eventIds))) out.set(row.event_id, toEvent(row));
    return out;
  }

  /** Up to `limit` of the room's events with stream ordering in (from, to], newest first. */
  newestBetween(roomId: string, from: number, to: number, limit: number): TimelineEvent[] {
    return this.newestStmt.all(roomId, from, to, limit).map(toEvent);
  }

  /** Rooms with any event in (from, to]: reads only that slice of the stream. */
  roomsWithEventsBetween(from: number, to: number): Set<string> {
    return new Set(this.roomsWithEventsStmt.all(from, to).map((r) => r.room_id));
  }

  /** Events at or before `pos` in topological order, newest first. */
  before(roomId: string, pos: TopoPosition, limit: number): TimelineEvent[] {
    return this.topoBackStmt.all(roomId, pos.depth, pos.depth, pos.stream, limit).map(toEvent);
  }

  /** Events after `pos` in topological order, oldest first. */
  after(roomId: string, pos: TopoPosition, limit: number): TimelineEvent[] {
    return this.topoFwdStmt.all(roomId, pos.depth, pos.depth, pos.stream, limit).map(toEvent);
  }

  /** The room's last event at or before a stream position. */
  lastAtOrBefore(roomId: string, stream: number): TimelineEvent | undefined {
    const row = this.lastAtStreamStmt.get(roomId, stream);
    return row && toEvent(row);
  }

  /**
   * The topologically last event among those received by a stream position. Differs from
   * lastAtOrBefore once federation delivers an event of lower depth after local ones: pagination
   * must start from the DAG's end, not from whatever arrived last.
   */
  topologicalEndAtOrBefore(roomId: string, stream: number): TimelineEvent | undefined {
    const row = this.topoEndStmt.get(roomId, stream);
    return row && toEvent(row);
  }

  /** The state event for (type, stateKey) sent last before stream position `before` (linear history). */
  stateEventBefore(roomId: string, type: string, stateKey: string, before: number): TimelineEvent | undefined {
    const row = this.stateAtStmt.get(roomId, type, stateKey, before);
    return row && toEvent(row);
  }

  /** Every event that set (type, stateKey) in the room, oldest first (history visibility changes). */
  stateChanges(roomId: string, type: string, stateKey: string): TimelineEvent[] {
    return this.stateChangesStmt.all(roomId, type, stateKey).map(toEvent);
  }

  /** timestamp_to_event: the closest event at/after (f) or at/before (b) `ts`. */
  closestByTimestamp(roomId: string, ts: number, dir: 'f' | 'b'): TimelineEvent | undefined {
    const row = this.closestTsStmt[dir].get(roomId, ts);
    return row && toEvent(row);
  }
}
