import type { RoomEvent } from '../events/room-event.js';
import { stateTupleKey, type StateTupleKey } from '../events/room-event.js';
import type { RoomVersion } from '../room-versions.js';
import { ALLOW, reject, type AuthResult } from './result.js';
import { thirdPartyInviteToken } from './third-party-invite.js';

/**
 * Auth events selection (server-server API): the (type, state_key) pairs of the state an event's
 * auth_events should reference. The create event references nothing; from v12 no event references
 * the create event either, its ID being the room ID.
 */
export function authEventsSelection(
  version: RoomVersion,
  event: Pick<RoomEvent, 'type' | 'state_key' | 'sender' | 'content'>,
): Array<[type: string, stateKey: string]> {
  if (event.type === 'm.room.create') return [];

  const selected: Array<[string, string]> = [];
  const seen = new Set<StateTupleKey>();
  const add = (type: string, stateKey: string): void => {
    const key = stateTupleKey(type, stateKey);
    if (seen.has(key)) return;
    seen.add(key);
    selected.push([type, stateKey]);
  };

  if (!version.roomIdFromCreateEvent) add('m.room.create', '');
  add('m.room.power_levels', '');
  add('m.room.member', event.sender);

  if (event.type === 'm.room.member' && event.state_key !== undefined) {
    add('m.room.member', event.state_key);
    const membership = event.content.membership;
    if (membership === 'join' || membership === 'invite' || membership === 'knock') add('m.room.join_rules', '');
    if (membership === 'invite') {
      const token = thirdPartyInviteToken(event.content);
      if (token !== undefined) add('m.room.third_party_invite', token);
    }
    if (membership === 'join' && version.restrictedJoins) {
      const via = event.content.join_authorised_via_users_server;
      if (typeof via === 'string') add('m.room.member', via);
    }
  }
  return selected;
}

/**
 * The "considering the event's auth_events" rules: each listed event is a distinct state pair the
 * selection algorithm names, they all belong to the event's room, and before v12 one of them is
 * the create event (from v12 none may be). `authEvents` are the events `event.auth_events` names;
 * any ID it names that is missing here fails the check. Whether a listed event was itself
 * rejected is the caller's knowledge, not the event's, so that rule (2.3 / 3.3) stays with the
 * caller.
 */
export function checkAuthEventsList(version: RoomVersion, event: RoomEvent, authEvents: readonly RoomEvent[]): AuthResult {
  // Rule 1 decides create events before auth_events are considered.
  if (event.type === 'm.room.create') return ALLOW;

  const byId = new Map<string, RoomEvent>();
  for (const authEvent of authEvents) byId.set(authEvent.event_id, authEvent);

  const expected = new Set(authEventsSelection(version, event).map(([type, stateKey]) => stateTupleKey(type, stateKey)));
  const seen = new Set<StateTupleKey>();
  let hasCreate = false;

  for (const id of event.auth_events) {
    const authEvent = byId.get(id);
    if (!authEvent) return reject(`auth event ${id} is not available`);
    if (authEvent.room_id !== event.room_id) return reject(`auth event ${id} belongs to another room`);
    if (authEvent.state_key === undefined) return reject(`auth event ${id} is not a state event`);
    const key = stateTupleKey(authEvent.type, authEvent.state_key);
    if (seen.has(key)) return reject(`auth_events list (${authEvent.type}, ${authEvent.state_key}) more than once`);
    seen.add(key);
    if (authEvent.type === 'm.room.create' && authEvent.state_key === '') {
      if (version.roomIdFromCreateEvent) return reject('auth_events must not list the m.room.create event in this room version');
      hasCreate = true;
    }
    if (!expected.has(key)) {
      return reject(`auth event ${id} (${authEvent.type}, ${authEvent.state_key}) is not one the selection algorithm names`);
    }
  }

  if (!version.roomIdFromCreateEvent && !hasCreate) return reject('auth_events does not list the m.room.create event');
  return ALLOW;
}
