import { stateTupleKey, type RoomEvent, type StateMap } from '../../src/core/events/room-event.js';
import type { JsonObject } from '../../src/core/json.js';
import { requireRoomVersion, type RoomVersion } from '../../src/core/room-versions.js';
import { AuthGraph, eventSourceOf, type EventSource } from '../../src/core/state-res/index.js';

export interface EventSpec {
  id: string;
  type: string;
  stateKey?: string;
  sender: string;
  content?: JsonObject;
  auth?: string[];
  prev?: string[];
  ts?: number;
  depth?: number;
}

/** A little in-memory room for tests: events by ID plus helpers to build state maps. */
export class TestRoom {
  readonly version: RoomVersion;
  readonly events = new Map<string, RoomEvent>();
  private clock = 0;

  constructor(
    versionId: string,
    readonly roomId = '!room:example.com',
  ) {
    this.version = requireRoomVersion(versionId);
  }

  add(spec: EventSpec): RoomEvent {
    const event: RoomEvent = {
      event_id: spec.id,
      room_id: this.roomId,
      type: spec.type,
      ...(spec.stateKey !== undefined ? { state_key: spec.stateKey } : {}),
      sender: spec.sender,
      content: spec.content ?? {},
      prev_events: spec.prev ?? [],
      auth_events: spec.auth ?? [],
      origin_server_ts: spec.ts ?? ++this.clock,
      depth: spec.depth ?? 0,
    };
    if (this.events.has(event.event_id)) throw new Error(`duplicate ${event.event_id}`);
    this.events.set(event.event_id, event);
    return event;
  }

  /** A live source: sees events added later too (graphs still memoise what they looked up). */
  get source(): EventSource {
    return (id) => this.events.get(id);
  }

  /** A snapshot source, as callers outside tests build one. */
  snapshot(): EventSource {
    return eventSourceOf(this.events.values());
  }

  graph(): AuthGraph {
    return new AuthGraph(this.version, this.source);
  }

  /** The state map holding exactly these events (by their own type and state key). */
  state(...ids: string[]): StateMap {
    const map: StateMap = new Map();
    for (const id of ids) {
      const event = this.events.get(id);
      if (event === undefined || event.state_key === undefined) throw new Error(`no state event ${id}`);
      map.set(stateTupleKey(event.type, event.state_key), id);
    }
    return map;
  }
}

export const key = stateTupleKey;

/** Plain-object view of a state map for readable assertions. */
export function plain(state: StateMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, id] of [...state].sort((a, b) => (a[0] < b[0] ? -1 : 1))) out[k] = id;
  return out;
}

export const ALICE = '@alice:example.com';
export const BOB = '@bob:example.com';
export const CAROL = '@carol:example.com';

/**
 * The usual start of a room (v2-v11 shape): create by alice, alice joins, power levels, public
 * join rules, bob joins. IDs: $create, $join-alice, $pl0, $jr0, $join-bob. Power levels default
 * to alice 100, bob 50.
 */
export function bootstrap(room: TestRoom, users: Record<string, number> = { [ALICE]: 100, [BOB]: 50 }): void {
  const createContent: JsonObject = room.version.creatorIsSender ? { room_version: room.version.id } : { creator: ALICE, room_version: room.version.id };
  room.add({ id: '$create', type: 'm.room.create', stateKey: '', sender: ALICE, content: createContent, depth: 1 });
  room.add({ id: '$join-alice', type: 'm.room.member', stateKey: ALICE, sender: ALICE, content: { membership: 'join' }, auth: ['$create'], prev: ['$create'], depth: 2 });
  room.add({ id: '$pl0', type: 'm.room.power_levels', stateKey: '', sender: ALICE, content: { users }, auth: ['$create', '$join-alice'], prev: ['$join-alice'], depth: 3 });
  room.add({ id: '$jr0', type: 'm.room.join_rules', stateKey: '', sender: ALICE, content: { join_rule: 'public' }, auth: ['$create', '$join-alice', '$pl0'], prev: ['$pl0'], depth: 4 });
  room.add({ id: '$join-bob', type: 'm.room.member', stateKey: BOB, sender: BOB, content: { membership: 'join' }, auth: ['$create', '$pl0', '$jr0'], prev: ['$jr0'], depth: 5 });
}

export const BOOTSTRAP_STATE = ['$create', '$join-alice', '$pl0', '$jr0', '$join-bob'];
