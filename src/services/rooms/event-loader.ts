import { toRoomEvent, type Pdu } from '../../core/events/pdu.js';
import type { RoomEvent } from '../../core/events/room-event.js';
import { computeReferenceHash } from '../../core/hashes.js';
import { encodeBase64 } from '../../core/base64.js';
import { roomVersion, type RoomVersion } from '../../core/room-versions.js';
import type { Storage } from '../../storage/storage.js';

/**
 * Parsed events by ID, from an in-memory cache in front of the events table. Events are
 * immutable once stored (only `redacted_by` changes, which is not cached here), so the cache
 * never needs invalidating; it is bounded, dropping the least recently used. Auth checks and
 * state resolution read the same few events (create, power levels, members) over and over,
 * so on the send path they cost no SQL and no JSON.parse.
 */

export interface LoadedEvent {
  readonly pdu: Pdu;
  readonly event: RoomEvent;
  readonly version: RoomVersion;
  /** Failed authorization on receipt: never usable as an auth event or as state. */
  readonly rejected: boolean;
}

const MAX_CACHED_EVENTS = 50_000;

export class EventLoader {
  private readonly cache = new Map<string, LoadedEvent>();
  private readonly versions = new Map<string, RoomVersion>();

  constructor(private readonly storage: Storage) {}

  /** The room's version, or undefined for a room we do not know. */
  versionOf(roomId: string): RoomVersion | undefined {
    let version = this.versions.get(roomId);
    if (version) return version;
    const room = this.storage.rooms.get(roomId);
    version = room ? roomVersion(room.roomVersion) : undefined;
    if (version) this.rememberVersion(roomId, version);
    return version;
  }

  load(eventId: string): LoadedEvent | undefined {
    const cached = this.cache.get(eventId);
    if (cached) {
      // Refresh its place in the LRU order.
      this.cache.delete(eventId);
      this.cache.set(eventId, cached);
      return cached;
    }
    const row = this.storage.events.get(eventId);
    if (!row) return undefined;
    const version = this.versionOf(row.roomId);
    if (!version) return undefined;
    const pdu = JSON.parse(row.json) as Pdu;
    const loaded: LoadedEvent = { pdu, event: toRoomEvent(pdu, version, eventId), version, rejected: row.rejectedReason !== null };
    this.remember(eventId, loaded);
    return loaded;
  }

  /** The event as the auth rules see it. */
  roomEvent(eventId: string): RoomEvent | undefined {
    return this.load(eventId)?.event;
  }

  /** Accepted events only: what state lookups and state resolution may use. */
  acceptedRoomEvent(eventId: string): RoomEvent | undefined {
    const loaded = this.load(eventId);
    return loaded && !loaded.rejected ? loaded.event : undefined;
  }

  /** v1/v2 `[id, {sha256}]` references: the base64 reference hash of a stored event. */
  referenceHash(eventId: string): string {
    const loaded = this.load(eventId);
    if (!loaded) throw new Error(`event ${eventId} is not stored`);
    return encodeBase64(computeReferenceHash(loaded.pdu, loaded.version));
  }

  /** Caches an event just persisted (saves the parse on its next use). */
  remember(eventId: string, loaded: LoadedEvent): void {
    this.cache.set(eventId, loaded);
    this.journal?.events.push(eventId);
    if (this.cache.size > MAX_CACHED_EVENTS) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
  }

  /** Records a room's version as soon as its row exists (room creation, remote joins). */
  rememberVersion(roomId: string, version: RoomVersion): void {
    this.versions.set(roomId, version);
    this.journal?.rooms.push(roomId);
  }

  /**
   * Runs a write transaction (fn calls storage.transaction) so that whatever it cached is
   * dropped again if it throws: rolled-back events must not live on in the cache. Nests like
   * the transactions (savepoints) it wraps: an inner failure forgets only what the inner part
   * cached; an inner success hands its entries to the enclosing level.
   */
  inTransaction<T>(fn: () => T): T {
    const parent = this.journal;
    const journal: Journal = { events: [], rooms: [] };
    this.journal = journal;
    try {
      const result = fn();
      if (parent) {
        parent.events.push(...journal.events);
        parent.rooms.push(...journal.rooms);
      }
      return result;
    } catch (err) {
      for (const eventId of journal.events) this.cache.delete(eventId);
      for (const roomId of journal.rooms) this.versions.delete(roomId);
      throw err;
    } finally {
      this.journal = parent;
    }
  }

  private journal: Journal | undefined;
}

interface Journal {
  readonly events: string[];
  readonly rooms: string[];
}
