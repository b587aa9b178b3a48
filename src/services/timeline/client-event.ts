import { isJsonObject, type JsonObject, type JsonValue } from '../../core/json.js';
import { redactClientEvent } from '../../core/events/redaction.js';
import { roomVersion, type RoomVersion } from '../../core/room-versions.js';
import type { Storage } from '../../storage/storage.js';
import type { TimelineEvent } from '../../storage/timeline-repo.js';
import type { Clock } from '../clock.js';
import { projectFields } from '../sync/filter.js';
import { BundledAggregations } from './aggregations.js';

/**
 * Events as clients receive them (spec "Client Event"): the PDU's client-visible keys, the
 * room ID the PDU may lack (v12 create events), redacted content for redacted events with
 * `unsigned.redacted_because`, and the rest of `unsigned`: age, the sender's own
 * transaction_id, and for state events replaces_state and prev_content.
 *
 * Sync fans one event out to every member, so the requester-independent part of each event is
 * built once and kept in a bounded cache (events never change; a redaction changes the cache
 * key). Everything returned is fresh at its top level; nested values are shared and must not be
 * mutated.
 */

export interface Viewer {
  readonly userId: string;
  readonly deviceId: string;
}

export interface SerializeOptions {
  readonly viewer?: Viewer;
  readonly format?: 'client' | 'federation';
  readonly eventFields?: readonly string[] | undefined;
  /** /sync leaves room_id out (it is the key the event sits under). */
  readonly omitRoomId?: boolean;
  /** unsigned["m.relations"] (aggregations.ts); default true. Never part of the cached base. */
  readonly bundleAggregations?: boolean;
}

/** PDU keys clients see (the rest — hashes, signatures, auth/prev events, depth — are federation's). */
const CLIENT_KEYS = ['event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'origin_server_ts', 'redacts'] as const;
const MAX_CACHED = 20_000;

export class ClientEventSerializer {
  private readonly cache = new Map<string, JsonObject>();
  private readonly versions = new Map<string, RoomVersion | undefined>();
  private readonly aggregations: BundledAggregations;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
  ) {
    this.aggregations = new BundledAggregations(storage);
  }

  /** Serialises events in order; loads redactions and replaced state events in one query each. */
  serialize(events: readonly TimelineEvent[], options: SerializeOptions = {}): JsonObject[] {
    if (events.length === 0) return [];
    const related = new Set<string>();
    for (const e of events) {
      if (e.redactedBy !== null) related.add(e.redactedBy);
      if (e.replacesState !== null) related.add(e.replacesState);
    }
    const loaded = related.size > 0 ? this.storage.timeline.getStateEvents([...related]) : new Map<string, TimelineEvent>();
    const bundles = this.bundles(events, loaded, options);
    return events.map((e) => this.one(e, loaded, options, bundles?.get(e.eventId)));
  }

  /** Bundled aggregations for the page: requester-dependent and ever-changing, so never cached. */
  private bundles(events: readonly TimelineEvent[], loaded: ReadonlyMap<string, TimelineEvent>, options: SerializeOptions): Map<string, JsonObject> | undefined {
    if (options.format === 'federation' || options.bundleAggregations === false) return undefined;
    const page = events.map((event) => {
      const content = this.base(event, loaded)['content'];
      return { event, content: isJsonObject(content) ? content : {} };
    });
    const nested = { ...options, eventFields: undefined };
    return this.aggregations.forPage(page, options.viewer?.userId, (related, bundle) =>
      this.serialize(related, { ...nested, bundleAggregations: bundle }),
    );
  }

  private one(e: TimelineEvent, related: ReadonlyMap<string, TimelineEvent>, options: SerializeOptions, bundle?: JsonObject): JsonObject {
    if (options.format === 'federation') return JSON.parse(e.json) as JsonObject;
    const base = this.base(e, related);
    const out: JsonObject = { ...base };
    if (options.omitRoomId) delete out['room_id'];
    const unsigned: JsonObject = isJsonObject(base['unsigned']) ? { ...base['unsigned'] } : {};
    unsigned['age'] = Math.max(0, this.clock.now() - e.originServerTs);
    const viewer = options.viewer;
    if (viewer && e.txnId !== null && e.sender === viewer.userId && e.senderDeviceId === viewer.deviceId) {
      unsigned['transaction_id'] = e.txnId;
    }
    if (bundle) unsigned['m.relations'] = bundle;
    out['unsigned'] = unsigned;
    return options.eventFields ? projectFields(out, options.eventFields) : out;
  }

  /** The requester-independent client event, cached. */
  private base(e: TimelineEvent, related: ReadonlyMap<string, TimelineEvent>): JsonObject {
    const key = e.redactedBy === null ? e.eventId : `${e.eventId}|${e.redactedBy}`;
    const cached = this.cache.get(key);
    if (cached) return cached;

    let event = this.plain(e);
    if (e.redactedBy !== null) {
      const redaction = related.get(e.redactedBy);
      const version = this.versionOf(e.roomId);
      if (version) event = redactClientEvent(event, version, redaction ? { redactedBecause: this.plain(redaction) } : {});
    }
    const unsigned: JsonObject = isJsonObject(event['unsigned']) ? { ...event['unsigned'] } : {};
    if (e.replacesState !== null) {
      unsigned['replaces_state'] = e.replacesState;
      const previous = related.get(e.replacesState);
      if (previous) {
        unsigned['prev_content'] = this.plain(previous)['content'] ?? {};
        // Older clients (and matrix-js-sdk's membership logic) still look for prev_sender.
        unsigned['prev_sender'] = previous.sender;
      }
    }
    if (Object.keys(unsigned).length > 0) event['unsigned'] = unsigned;

    if (this.cache.size >= MAX_CACHED) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, event);
    return event;
  }

  /**
   * The client-visible keys of an event, without unsigned; redacted content if it is redacted
   * (used as is for redacted_because and prev_content, which need nothing more).
   */
  private plain(e: TimelineEvent): JsonObject {
    const pdu = JSON.parse(e.json) as JsonObject;
    const event: JsonObject = {};
    for (const k of CLIENT_KEYS) if (Object.hasOwn(pdu, k)) event[k] = pdu[k]!;
    event['event_id'] = e.eventId;
    event['room_id'] = e.roomId;
    const content = isJsonObject(event['content']) ? event['content'] : {};
    event['content'] = content;
    // v11+ keep `redacts` in content; clients written for older rooms read it at the top level.
    if (e.type === 'm.room.redaction' && event['redacts'] === undefined && typeof content['redacts'] === 'string') {
      event['redacts'] = content['redacts'];
    }
    if (e.redactedBy !== null) {
      const version = this.versionOf(e.roomId);
      if (version) {
        const redacted = redactClientEvent(event, version);
        delete redacted['unsigned'];
        return redacted;
      }
    }
    return event;
  }

  private versionOf(roomId: string): RoomVersion | undefined {
    if (this.versions.has(roomId)) return this.versions.get(roomId);
    const room = this.storage.rooms.get(roomId);
    const version = room ? roomVersion(room.roomVersion) : undefined;
    if (version) this.versions.set(roomId, version);
    return version;
  }
}

/** Stripped state (spec "Stripped state"): type, state_key, sender and content only. */
export function strippedState(event: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of ['type', 'state_key', 'sender', 'content'] as const) {
    const v: JsonValue | undefined = event[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
