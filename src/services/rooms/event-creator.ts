import { randomBytes } from 'node:crypto';
import { CanonicalJsonError, canonicalJson } from '../../core/canonical-json.js';
import { buildEvent, type BuiltEvent, type EventTemplate } from '../../core/events/build.js';
import { MAX_PDU_BYTES, MAX_PREV_EVENTS } from '../../core/events/pdu.js';
import type { RoomVersion } from '../../core/room-versions.js';
import type { SigningKey } from '../../core/signing.js';
import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import { badJson, forbidden, notFound, tooLarge } from '../errors.js';
import type { EventLoader } from './event-loader.js';
import type { EventPersister, PersistOutcome } from './event-persister.js';
import type { StateReader } from './state-reader.js';

/**
 * Local events: built on the room's forward extremities and current state, signed with our key,
 * and persisted through the same EventPersister remote events go through. Building and
 * persisting happen in one synchronous transaction, so no other request can move the
 * extremities in between; a local event the auth rules refuse is rolled back and reported as
 * M_FORBIDDEN (it never reaches the DAG).
 */

export interface LocalEventRequest {
  /** room_id set, except for a v12 m.room.create. */
  readonly template: EventTemplate;
  /** Needed for m.room.create (the room is not stored yet); otherwise read from the room. */
  readonly version?: RoomVersion;
  /** The sending device (for unsigned.transaction_id). */
  readonly deviceId?: string;
  /** The client's transaction ID, echoed to the sending device. */
  readonly txnId?: string;
  /** Records (userId, deviceId, key) → event ID in txn_ids, in the same transaction. */
  readonly txnKey?: { readonly userId: string; readonly deviceId: string; readonly key: string };
}

export interface CreatedEvent {
  readonly eventId: string;
  readonly roomId: string;
  readonly streamOrdering: number;
}

export type Emit = (request: LocalEventRequest) => CreatedEvent;

interface QueuedRequest {
  readonly request: LocalEventRequest;
  resolve(created: CreatedEvent): void;
  reject(error: unknown): void;
}

/** A built, signed event with its room version and canonical JSON, not yet persisted. */
export interface DetachedEvent extends BuiltEvent {
  readonly version: RoomVersion;
  readonly json: string;
}

/** Events of one local write build on at most this many extremities (the rest merge later). */
const MAX_LOCAL_PREV_EVENTS = Math.min(10, MAX_PREV_EVENTS);
const MAX_ID_FIELD_BYTES = 255;

export class EventCreator {
  /** Outcomes of the open batch, announced once it commits. */
  private pending: PersistOutcome[] | undefined;
  /** Requests waiting for the next group commit (see submit). */
  private readonly queue: QueuedRequest[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly events: EventLoader,
    private readonly state: StateReader,
    private readonly persister: EventPersister,
    private readonly signingKey: SigningKey,
    private readonly serverName: string,
    private readonly clock: Clock,
  ) {}

  /** Creates one event in its own transaction. */
  create(request: LocalEventRequest): CreatedEvent {
    return this.batch((emit) => emit(request));
  }

  /**
   * Runs fn in one transaction; every event it emits commits (and is announced) together, or
   * none does. Re-entrant: a batch inside a batch joins the outer one.
   */
  batch<T>(fn: (emit: Emit) => T): T {
    if (this.pending) {
      const pending = this.pending;
      return fn((request) => this.emit(request, pending));
    }
    const pending: PersistOutcome[] = [];
    this.pending = pending;
    let result: T;
    try {
      result = this.events.inTransaction(() => this.storage.transaction(() => fn((request) => this.emit(request, pending))));
    } finally {
      this.pending = undefined;
    }
    for (const outcome of pending) this.persister.announce(outcome);
    return result;
  }

  /**
   * Creates an event with group commit: requests arriving in the same turn of the event loop
   * share one transaction, hence one fsync, each in its own savepoint so that a refused event
   * fails alone. Under load the commit's fsync, not the work, is what a send costs; this is the
   * send path. Resolves once the event is durable (after the commit).
   */
  submit(request: LocalEventRequest): Promise<CreatedEvent> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const queue = this.queue.splice(0);
    const results: ({ ok: true; created: CreatedEvent } | { ok: false; error: unknown })[] = [];
    const pending: PersistOutcome[] = [];
    this.pending = pending;
    try {
      this.events.inTransaction(() =>
        this.storage.transaction(() => {
          for (const { request } of queue) {
            const own: PersistOutcome[] = [];
            try {
              const created = this.events.inTransaction(() => this.storage.transaction(() => this.emit(request, own)));
              pending.push(...own);
              results.push({ ok: true, created });
            } catch (error) {
              results.push({ ok: false, error });
            }
          }
        }),
      );
    } catch (error) {
      // The commit itself failed: nothing of the batch was stored.
      for (const item of queue) item.reject(error);
      return;
    } finally {
      this.pending = undefined;
    }
    for (const outcome of pending) this.persister.announce(outcome);
    queue.forEach((item, i) => {
      const result = results[i]!;
      if (result.ok) item.resolve(result.created);
      else item.reject(result.error);
    });
  }

  /**
   * Builds and signs an event on the room's current extremities and state without persisting
   * it: for an invite another server must countersign first (it is then persisted as received).
   */
  buildDetached(request: LocalEventRequest): DetachedEvent {
    return this.build(request);
  }

  private build(request: LocalEventRequest): DetachedEvent {
    const { template } = request;
    const isCreate = template.type === 'm.room.create';
    const roomId = template.room_id;
    const version = request.version ?? (roomId === undefined ? undefined : this.events.versionOf(roomId));
    if (!version) throw notFound('Unknown room');
    checkIdField('type', template.type);
    if (template.state_key !== undefined) checkIdField('state_key', template.state_key);

    const prevs = isCreate || roomId === undefined ? [] : this.storage.events.forwardExtremities(roomId).slice(0, MAX_LOCAL_PREV_EVENTS);
    if (!isCreate && prevs.length === 0) throw notFound('Unknown room');

    let built: BuiltEvent;
    let json: string;
    try {
      built = buildEvent(template, {
        version,
        origin: this.serverName,
        key: this.signingKey,
        originServerTs: this.clock.now(),
        prevEvents: prevs.map((p) => ({ event_id: p.eventId, depth: p.depth })),
        state: isCreate || roomId === undefined ? () => undefined : this.state.currentLookup(roomId),
        referenceHash: (id) => this.events.referenceHash(id),
        ...(version.eventIdFormat === 'explicit' ? { randomBytes: randomBytes(18) } : {}),
      });
      json = canonicalJson(built.pdu, { strict: version.strictCanonicalJson });
    } catch (err) {
      if (err instanceof CanonicalJsonError) throw badJson(`Event content is not valid for room version ${version.id}: ${err.message}`);
      throw err;
    }
    if (json.length > MAX_PDU_BYTES / 3 && Buffer.byteLength(json, 'utf8') > MAX_PDU_BYTES) {
      throw tooLarge(`Event is larger than ${MAX_PDU_BYTES} bytes`);
    }
    return { ...built, version, json };
  }

  private emit(request: LocalEventRequest, pending: PersistOutcome[]): CreatedEvent {
    if (request.txnKey) {
      // Checked again here: a retry may have been queued in the same batch as the original.
      const { userId, deviceId, key } = request.txnKey;
      const existing = this.storage.txns.get(userId, deviceId, key);
      const row = existing === undefined ? undefined : this.storage.events.get(existing);
      if (row) return { eventId: row.eventId, roomId: row.roomId, streamOrdering: row.streamOrdering };
    }
    const built = this.build(request);
    const outcome = this.persister.write({
      pdu: built.pdu,
      event: built.event,
      version: built.version,
      json: built.json,
      local: { deviceId: request.deviceId ?? null, txnId: request.txnId ?? null },
    });
    if (outcome.status !== 'accepted') throw forbidden(outcome.rejectedReason ?? 'The event is not allowed in the current room state');
    if (request.txnKey) {
      const { userId, deviceId, key } = request.txnKey;
      this.storage.txns.put(userId, deviceId, key, outcome.eventId, this.clock.now());
    }
    pending.push(outcome);
    return { eventId: outcome.eventId, roomId: outcome.roomId, streamOrdering: outcome.streamOrdering };
  }
}

function checkIdField(field: string, value: string): void {
  if (value.length * 3 > MAX_ID_FIELD_BYTES && Buffer.byteLength(value, 'utf8') > MAX_ID_FIELD_BYTES) {
    throw tooLarge(`Event ${field} is longer than ${MAX_ID_FIELD_BYTES} bytes`);
  }
}
