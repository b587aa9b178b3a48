import type { RoomEvent } from '../events/room-event.js';

/**
 * Looks up the room state the rules are checked against: the event's auth events, the state
 * before it, or the current state (the three checks on receipt of a PDU), or the partial state
 * during state resolution. Returns only accepted events; undefined when the pair is not in state.
 */
export type AuthStateLookup = (type: string, stateKey: string) => RoomEvent | undefined;

export type AuthResult = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** Shared so the common outcome allocates nothing. */
export const ALLOW: AuthResult = Object.freeze({ allowed: true });

export function reject(reason: string): AuthResult {
  return { allowed: false, reason };
}
