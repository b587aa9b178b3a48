import type { RoomEvent } from '../events/room-event.js';
import type { RoomVersion } from '../room-versions.js';
import { checkAliasesEvent } from './aliases.js';
import { authContext, membershipOf } from './context.js';
import { checkCreateEvent, createEventRoomId } from './create.js';
import { domainOf } from './identifiers.js';
import { checkMemberEvent } from './member.js';
import { checkPowerLevelsEvent, requiredLevel, userLevel } from './power-levels.js';
import { checkRedactionEvent } from './redaction.js';
import { ALLOW, reject, type AuthResult, type AuthStateLookup } from './result.js';
import { checkThirdPartyInviteEvent } from './third-party-invite.js';

/**
 * The authorization rules of the room versions (content/rooms/v1..v12 "Authorisation rules"),
 * one file per event kind. Pure: the caller supplies the state, and every version difference is
 * read from the RoomVersion record.
 *
 * The rules split in two, as the receipt checks use them:
 * - checkAuthEventsList: the "considering the event's auth_events" rules, about the event's own
 *   auth_events list; run once per event.
 * - checkAuthRules: everything else, against some state (the auth events, the state before the
 *   event, or the current state); run up to three times per event and by state resolution.
 * Signatures are not seen here; see authorisingServer for the one rule that needs one.
 */

export type { AuthResult, AuthStateLookup } from './result.js';
export { authEventsSelection, checkAuthEventsList } from './auth-events-selection.js';
export { authorisingServer } from './member.js';
export { creatorsOf, createEventRoomId } from './create.js';
export {
  DEFAULT_POWER_LEVELS,
  parsePowerLevels,
  parsePowerLevelValue,
  userPowerLevel,
  type PowerLevels,
} from './power-levels.js';
export { isValidUserId } from './identifiers.js';

/**
 * The authorization rules: may `event` be accepted given this room state? For v12 the lookup must
 * still resolve ('m.room.create','') even though it is not in auth_events.
 */
export function checkAuthRules(version: RoomVersion, event: RoomEvent, state: AuthStateLookup): AuthResult {
  // Rule 1.
  if (event.type === 'm.room.create') return checkCreateEvent(version, event);

  const create = state('m.room.create', '');
  if (!create) return reject('no m.room.create event in state');
  // v12 rule 2: the room ID names the create event. Earlier versions only need the create event
  // the state offers to be this room's (the auth_events room check, applied to the lookup too).
  if (version.roomIdFromCreateEvent && event.room_id !== createEventRoomId(create.event_id)) {
    return reject("room_id is not the m.room.create event's ID");
  }
  if (create.room_id !== event.room_id) return reject('m.room.create in state belongs to another room');

  // Rule 3 (v12: 4). The spec says "set to false"; like Synapse, anything but an absent or true
  // m.federate counts as not federating, so a garbled value fails closed.
  const federate = create.content['m.federate'];
  if (federate !== undefined && federate !== true && domainOf(event.sender) !== domainOf(create.sender)) {
    return reject("room is not federated and the sender is not on the creator's server");
  }

  // Rule 4 (v1-v5 only).
  if (version.aliasesAuthRule && event.type === 'm.room.aliases') return checkAliasesEvent(event);

  const ctx = authContext(version, state, create);
  if (event.type === 'm.room.member') return checkMemberEvent(ctx, event);

  // Everything else needs a joined sender.
  if (membershipOf(state, event.sender) !== 'join') return reject('sender is not joined to the room');

  const power = ctx.power();
  if ('error' in power) return reject(power.error);

  if (event.type === 'm.room.third_party_invite') return checkThirdPartyInviteEvent(event, power);

  const isState = event.state_key !== undefined;
  const required = requiredLevel(power, event.type, isState);
  if (userLevel(power, event.sender) < required) {
    return reject(`sender is below the level ${required} required for ${event.type}`);
  }

  // A state key that looks like a user ID is that user's own: nobody else may write it.
  if (event.state_key !== undefined && event.state_key.startsWith('@') && event.state_key !== event.sender) {
    return reject("sender may not set state under another user's ID");
  }

  if (event.type === 'm.room.power_levels') return checkPowerLevelsEvent(version, event, power);
  if (version.redactionDomainAuthRule && event.type === 'm.room.redaction') return checkRedactionEvent(event, power);
  return ALLOW;
}
