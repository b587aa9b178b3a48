import type { JsonObject } from '../json.js';

/**
 * A room event as the auth rules and state resolution see it: the same shape for every room
 * version. v1/v2 `[id, hashes]` reference pairs are flattened to IDs, the event ID is always
 * present, and `room_id` is filled in for v12 create events (whose room ID is derived).
 * Build one from a PDU with `toRoomEvent` (events/pdu.ts); never hand a raw PDU to the rules.
 */
export interface RoomEvent {
  readonly event_id: string;
  readonly room_id: string;
  readonly type: string;
  /** Present (possibly "") exactly when this is a state event. */
  readonly state_key?: string;
  readonly sender: string;
  readonly content: JsonObject;
  readonly prev_events: readonly string[];
  readonly auth_events: readonly string[];
  readonly origin_server_ts: number;
  readonly depth: number;
  /** The redacted event's ID for m.room.redaction, wherever the room version keeps it. */
  readonly redacts?: string;
}

export function isStateEvent(event: RoomEvent): event is RoomEvent & { state_key: string } {
  return event.state_key !== undefined;
}

/**
 * Key for a (type, state_key) pair in state maps. Length-prefixing the type keeps it unambiguous
 * whatever characters either part holds, and it is cheap to build on hot paths.
 */
export type StateTupleKey = string & { readonly __brand: 'StateTupleKey' };

export function stateTupleKey(type: string, stateKey: string): StateTupleKey {
  return `${type.length}:${type}${stateKey}` as StateTupleKey;
}

export function splitStateTupleKey(key: StateTupleKey): [type: string, stateKey: string] {
  const colon = key.indexOf(':');
  const length = Number(key.slice(0, colon));
  const type = key.slice(colon + 1, colon + 1 + length);
  return [type, key.slice(colon + 1 + length)];
}

/** A room state: (type, state_key) → event ID. */
export type StateMap = Map<StateTupleKey, string>;
