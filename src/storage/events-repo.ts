import type { Db } from './database.js';

/**
 * The event DAG: every event we know (local or remote) with its prev/auth edges, the forward
 * extremities per room, and redactions. stream_ordering, assigned on insert, is the position in
 * the events stream that sync tokens point into.
 *
 * Clients may see an event only when `outlier = 0 AND rejected_reason IS NULL AND soft_failed = 0`
 * (see VISIBLE_EVENT_FILTER); every query serving clients must apply it.
 */

/** SQL condition (on table alias `e`) for events clients may see. */
export const VISIBLE_EVENT_FILTER = 'e.outlier = 0 AND e.rejected_reason IS NULL AND e.soft_failed = 0';

export interface StoredEvent {
  readonly streamOrdering: number;
  readonly eventId: string;
  readonly roomId: string;
  readonly type: string;
  readonly stateKey: string | null;
  readonly sender: string;
  readonly originServerTs: number;
  readonly depth: number;
  /** The PDU as received or built (canonical JSON). */
  readonly json: string;
  readonly outlier: boolean;
  readonly rejectedReason: string | null;
  readonly softFailed: boolean;
  readonly redactedBy: string | null;
  /** The state after this event (for rejected events: the state before it). */
  readonly stateGroup: number | null;
  readonly senderDeviceId: string | null;
  readonly txnId: string | null;
  /** State events: the event they replaced in the state before them. */
  readonly replacesState: string | null;
}

export interface NewEvent {
  readonly eventId: string;
  readonly roomId: string;
  readonly type: string;
  readonly stateKey: string | null;
  readonly sender: string;
  readonly originServerTs: number;
  readonly depth: number;
  readonly json: string;
  readonly outlier: boolean;
  readonly rejectedReason: string | null;
  readonly softFailed: boolean;
  readonly stateGroup: number | null;
  readonly senderDeviceId: string | null;
  readonly txnId: string | null;
  readonly replacesState: string | null;
  /** Backfilled history only: an explicit (negative) stream ordering; otherwise the next one. */
  readonly streamOrdering?: number;
}

interface EventRow {
  stream_ordering: number;
  event_id: string;
  room_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  origin_server_ts: number;
  depth: number;
  json: string;
  outlier: number;
  rejected_reason: string | null;
  soft_failed: number;
  redacted_by: string | null;
  state_group: number | null;
  sender_device_id: string | null;
  txn_id: string | null;
  replaces_state: string | null;
}

const COLUMNS = `stream_ordering, event_id, room_id, type, state_key, sender, origin_server_ts, depth, json, outlier,
  rejected_reason, soft_failed, redacted_by, state_group, sender_device_id, txn_id, replaces_state`;

function fromRow(r: EventRow): StoredEvent {
  return {
    streamOrdering: r.stream_ordering,
    eventId: r.event_id,
    roomId: r.room_id,
    type: r.type,
    stateKey: r.state_key,
    sender: r.sender,
    originServerTs: r.origin_server_ts,
    depth: r.depth,
    json: r.json,
    outlier: r.outlier === 1,
    rejectedReason: r.rejected_reason,
    softFailed: r.soft_failed === 1,
    redactedBy: r.redacted_by,
    stateGroup: r.state_group,
    senderDeviceId: r.sender_device_id,
    txnId: r.txn_id,
    replacesState: r.replaces_state,
  };
}

export interface ExtremityRef {
  readonly eventId: string;
  readonly depth: number;
}

export class EventsRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly getManyStmt;
  private readonly existsStmt;
  private readonly maxStreamStmt;
  private readonly minStreamStmt;
  private readonly insertAtStmt;
  private readonly roomEventsStmt;
  private readonly insertEdgeStmt;
  private readonly insertAuthEdgeStmt;
  private readonly childrenStmt;
  private readonly extremitiesStmt;
  private readonly addExtremityStmt;
  private readonly removeExtremityStmt;
  private readonly deleteOutlierStmt;
  private readonly insertRedactionStmt;
  private readonly redactionsOfStmt;
  private readonly setRedactedByStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO events (event_id, room_id, type, state_key, sender, origin_server_ts, depth, json, outlier,
         rejected_reason, soft_failed, state_group, sender_device_id, txn_id, replaces_state)
       VALUES (@eventId, @roomId, @type, @stateKey, @sender, @originServerTs, @depth, @json, @outlier,
         @rejectedReason, @softFailed, @stateGroup, @senderDeviceId, @txnId, @replacesState)`,
    );
    this.getStmt = db.prepare<[string], EventRow>(`SELECT ${COLUMNS} FROM events WHERE event_id = ?`);
    this.getManyStmt = db.prepare<[string], EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE event_id IN (SELECT value FROM json_each(?))`,
    );
    this.existsStmt = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM events WHERE event_id = ?');
    this.maxStreamStmt = db.prepare<[], { pos: number | null }>('SELECT MAX(stream_ordering) AS pos FROM events');
    this.minStreamStmt = db.prepare<[], { pos: number | null }>('SELECT MIN(stream_ordering) AS pos FROM events');
    this.insertAtStmt = db.prepare(
      `INSERT INTO events (stream_ordering, event_id, room_id, type, state_key, sender, origin_server_ts, depth, json, outlier,
         rejected_reason, soft_failed, state_group, sender_device_id, txn_id, replaces_state)
       VALUES (@streamOrdering, @eventId, @roomId, @type, @stateKey, @sender, @originServerTs, @depth, @json, @outlier,
         @rejectedReason, @softFailed, @stateGroup, @senderDeviceId, @txnId, @replacesState)`,
    );
    this.roomEventsStmt = db.prepare<[string], EventRow>(`SELECT ${COLUMNS} FROM events WHERE room_id = ? ORDER BY stream_ordering`);
    this.insertEdgeStmt = db.prepare('INSERT OR IGNORE INTO event_edges (event_id, prev_event_id) VALUES (?, ?)');
    this.insertAuthEdgeStmt = db.prepare('INSERT OR IGNORE INTO event_auth_edges (event_id, auth_event_id) VALUES (?, ?)');
    this.childrenStmt = db.prepare<[string], { event_id: string }>('SELECT event_id FROM event_edges WHERE prev_event_id = ?');
    this.extremitiesStmt = db.prepare<[string], { event_id: string; depth: number }>(
      `SELECT x.event_id, e.depth FROM event_forward_extremities x JOIN events e ON e.event_id = x.event_id
       WHERE x.room_id = ? ORDER BY e.depth DESC, e.stream_ordering DESC`,
    );
    this.addExtremityStmt = db.prepare('INSERT OR IGNORE INTO event_forward_extremities (room_id, event_id) VALUES (?, ?)');
    this.removeExtremityStmt = db.prepare('DELETE FROM event_forward_extremities WHERE room_id = ? AND event_id = ?');
    this.deleteOutlierStmt = db.prepare('DELETE FROM events WHERE event_id = ? AND outlier = 1');
    this.insertRedactionStmt = db.prepare('INSERT OR IGNORE INTO redactions (event_id, redacts) VALUES (?, ?)');
    this.redactionsOfStmt = db.prepare<[string], { event_id: string }>('SELECT event_id FROM redactions WHERE redacts = ?');
    this.setRedactedByStmt = db.prepare('UPDATE events SET redacted_by = ? WHERE event_id = ? AND redacted_by IS NULL');
  }

  /** Inserts the event row and returns its stream ordering. The event ID must be new. */
  insert(event: NewEvent): number {
    const row = { ...event, outlier: event.outlier ? 1 : 0, softFailed: event.softFailed ? 1 : 0 };
    if (event.streamOrdering !== undefined) {
      this.insertAtStmt.run(row);
      return event.streamOrdering;
    }
    return Number(this.insertStmt.run(row).lastInsertRowid);
  }

  /**
   * Drops an outlier's row so the event can be stored again as part of the timeline, with a new
   * stream ordering (so incremental syncs see it). Edges stay: they are the same event's.
   */
  deleteOutlier(eventId: string): void {
    this.deleteOutlierStmt.run(eventId);
  }

  get(eventId: string): StoredEvent | undefined {
    const row = this.getStmt.get(eventId);
    return row && fromRow(row);
  }

  /** The events among `eventIds` that we have, in no particular order. */
  getMany(eventIds: readonly string[]): StoredEvent[] {
    if (eventIds.length === 0) return [];
    if (eventIds.length === 1) {
      const one = this.get(eventIds[0]!);
      return one ? [one] : [];
    }
    return this.getManyStmt.all(JSON.stringify(eventIds)).map(fromRow);
  }

  has(eventId: string): boolean {
    return this.existsStmt.get(eventId) !== undefined;
  }

  /** The highest stream ordering assigned so far (0 before the first event). */
  maxStreamOrdering(): number {
    return this.maxStreamStmt.get()?.pos ?? 0;
  }

  /** The lowest stream ordering (negative once history was backfilled; 0 without events). */
  minStreamOrdering(): number {
    return this.minStreamStmt.get()?.pos ?? 0;
  }

  /** Every event of a room, rejected and outliers included, in stream order (tests, tooling). */
  allInRoom(roomId: string): StoredEvent[] {
    return this.roomEventsStmt.all(roomId).map(fromRow);
  }

  insertEdges(eventId: string, prevEventIds: readonly string[], authEventIds: readonly string[]): void {
    for (const prev of prevEventIds) this.insertEdgeStmt.run(eventId, prev);
    for (const auth of authEventIds) this.insertAuthEdgeStmt.run(eventId, auth);
  }

  /** Events that list `eventId` as a prev event. */
  childrenOf(eventId: string): string[] {
    return this.childrenStmt.all(eventId).map((r) => r.event_id);
  }

  /** The room's forward extremities, deepest first. */
  forwardExtremities(roomId: string): ExtremityRef[] {
    return this.extremitiesStmt.all(roomId).map((r) => ({ eventId: r.event_id, depth: r.depth }));
  }

  addForwardExtremity(roomId: string, eventId: string): void {
    this.addExtremityStmt.run(roomId, eventId);
  }

  removeForwardExtremity(roomId: string, eventId: string): void {
    this.removeExtremityStmt.run(roomId, eventId);
  }

  /** Records an m.room.redaction (applied or not yet: the target may arrive later). */
  insertRedaction(redactionEventId: string, redacts: string): void {
    this.insertRedactionStmt.run(redactionEventId, redacts);
  }

  /** Redaction events naming `eventId`. */
  redactionsOf(eventId: string): string[] {
    return this.redactionsOfStmt.all(eventId).map((r) => r.event_id);
  }

  /** Marks an event redacted (the first applicable redaction wins). */
  setRedactedBy(eventId: string, redactionEventId: string): void {
    this.setRedactedByStmt.run(redactionEventId, eventId);
  }
}
