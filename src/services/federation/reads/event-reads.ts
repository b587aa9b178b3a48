import { stateTupleKey, type StateMap } from '../../../core/events/room-event.js';
import type { JsonObject } from '../../../core/json.js';
import { createEventIdOf } from '../../../core/state-res/graph.js';
import type { StoredEvent } from '../../../storage/events-repo.js';
import type { Storage } from '../../../storage/storage.js';
import type { Clock } from '../../clock.js';
import { notFound } from '../../errors.js';
import type { RoomServices } from '../../rooms/index.js';
import { pduOut } from './pdu-out.js';
import type { RoomGate } from './room-gate.js';
import { ServerVisibility } from './server-visibility.js';

/**
 * The single-event and state reads of the server-server API: GET /event/{eventId},
 * /event_auth/{roomId}/{eventId}, /state/{roomId} and /state_ids/{roomId} (the state BEFORE
 * the given event, as Synapse serves it, with the auth chain of that state), and
 * /timestamp_to_event. Every read is gated by RoomGate (ACL, server in the room); single events
 * also by history visibility.
 */

/** A room's auth chain can be large, but not unbounded. */
const MAX_AUTH_CHAIN = 100_000;

export class FederationEventReads {
  constructor(
    private readonly serverName: string,
    private readonly storage: Storage,
    private readonly rooms: RoomServices,
    private readonly gate: RoomGate,
    private readonly clock: Clock,
  ) {}

  /** GET /event/{eventId}: a transaction holding the one PDU. */
  event(origin: string, eventId: string): JsonObject {
    const row = this.storage.events.get(eventId);
    if (!row || row.rejectedReason !== null) throw notFound(`Could not find event ${eventId}`);
    this.gate.require(origin, row.roomId);
    const visibility = new ServerVisibility(this.storage, this.rooms, origin);
    const pdu = pduOut(this.rooms.loader, eventId, visibility.redacted(row));
    if (!pdu) throw notFound(`Could not find event ${eventId}`);
    return { origin: this.serverName, origin_server_ts: this.clock.now(), pdus: [pdu] };
  }

  /** GET /event_auth/{roomId}/{eventId}: the event's full auth chain. */
  eventAuth(origin: string, roomId: string, eventId: string): JsonObject {
    this.gate.require(origin, roomId);
    const row = this.eventInRoom(roomId, eventId);
    return { auth_chain: this.pdus(this.authChain(roomId, [row.eventId])) };
  }

  /** GET /state_ids/{roomId}?event_id: IDs of the state before the event and of its auth chain. */
  stateIds(origin: string, roomId: string, eventId: string): JsonObject {
    this.gate.require(origin, roomId);
    const ids = [...this.stateBefore(roomId, eventId).values()];
    return { pdu_ids: ids, auth_chain_ids: this.authChain(roomId, ids) };
  }

  /** GET /state/{roomId}?event_id: the same as PDUs. */
  state(origin: string, roomId: string, eventId: string): JsonObject {
    this.gate.require(origin, roomId);
    const ids = [...this.stateBefore(roomId, eventId).values()];
    return { pdus: this.pdus(ids), auth_chain: this.pdus(this.authChain(roomId, ids)) };
  }

  /** GET /timestamp_to_event/{roomId}?ts&dir: the closest event we have in that direction. */
  timestampToEvent(origin: string, roomId: string, ts: number, dir: 'f' | 'b'): JsonObject {
    this.gate.require(origin, roomId);
    const found = this.storage.timeline.closestByTimestamp(roomId, ts, dir);
    if (!found) throw notFound(`Unable to find event from ${ts} in ${dir === 'f' ? 'forward' : 'backward'} direction`);
    return { event_id: found.eventId, origin_server_ts: found.originServerTs };
  }

  private eventInRoom(roomId: string, eventId: string): StoredEvent {
    const row = this.storage.events.get(eventId);
    if (!row || row.roomId !== roomId || row.rejectedReason !== null) throw notFound(`Could not find event ${eventId}`);
    return row;
  }

  /**
   * The state before an event: its state group is the state after it (rejected events: before
   * it, and after), so an accepted state event's own key goes back to what it replaced.
   */
  private stateBefore(roomId: string, eventId: string): StateMap {
    const row = this.eventInRoom(roomId, eventId);
    if (row.outlier || row.stateGroup === null) throw notFound(`The state at event ${eventId} is not known here`);
    const state = this.rooms.state.stateMapOfGroup(row.stateGroup);
    if (row.stateKey !== null) {
      const key = stateTupleKey(row.type, row.stateKey);
      if (state.get(key) === row.eventId) {
        if (row.replacesState !== null) state.set(key, row.replacesState);
        else state.delete(key);
      }
    }
    return state;
  }

  /** The auth chain of `ids` (v12: with the create event every event implicitly names). */
  private authChain(roomId: string, ids: readonly string[]): string[] {
    const chain = new Set(this.storage.federationReads.authChainIds(ids, MAX_AUTH_CHAIN));
    const version = this.rooms.loader.versionOf(roomId);
    if (version?.roomIdFromCreateEvent) {
      const createId = createEventIdOf(roomId);
      if (createId !== undefined && !ids.includes(createId) && this.storage.events.has(createId)) chain.add(createId);
    }
    return [...chain];
  }

  private pdus(ids: readonly string[]): JsonObject[] {
    const out: JsonObject[] = [];
    for (const row of this.storage.events.getMany(ids)) {
      const pdu = pduOut(this.rooms.loader, row.eventId, row.redactedBy !== null);
      if (pdu) out.push(pdu);
    }
    return out;
  }
}
