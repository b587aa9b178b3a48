import type { RoomEvent } from '../events/room-event.js';
import { domainOf } from './identifiers.js';
import { ALLOW, reject, type AuthResult } from './result.js';

/**
 * Rule 4 of v1-v5 (`aliasesAuthRule`): a server publishes its own m.room.aliases under its own
 * name, and may do so without any of its users being in the room, since this rule comes before
 * the membership check. From v6 m.room.aliases is an ordinary state event.
 */
export function checkAliasesEvent(event: RoomEvent): AuthResult {
  if (event.state_key === undefined) return reject('m.room.aliases has no state_key');
  if (event.state_key !== domainOf(event.sender)) return reject("m.room.aliases state_key is not the sender's domain");
  return ALLOW;
}
