import type { RoomEvent } from '../events/room-event.js';
import { roomVersion, type RoomVersion } from '../room-versions.js';
import { domainOf, isValidUserId } from './identifiers.js';
import { ALLOW, reject, type AuthResult } from './result.js';

/**
 * Rule 1: `m.room.create`. The create event is judged on its own; it has no auth events and no
 * state to consult, so it is the same whichever of the three receipt checks runs it.
 */
export function checkCreateEvent(version: RoomVersion, event: RoomEvent): AuthResult {
  // 1.1
  if (event.prev_events.length > 0) return reject('m.room.create must not have prev_events');

  if (version.roomIdFromCreateEvent) {
    // 1.2 (v12): the PDU must carry no room_id; that is a format check made before the event is
    // normalised. What reaches us has the derived room ID filled in, so all that can be checked
    // here is that it was derived and not copied from somewhere else.
    if (event.room_id !== createEventRoomId(event.event_id)) {
      return reject('m.room.create room_id must be derived from its event ID');
    }
  } else {
    // 1.2 (v1-v11)
    const roomDomain = domainOf(event.room_id);
    if (roomDomain === undefined || roomDomain !== domainOf(event.sender)) {
      return reject("m.room.create room_id domain does not match the sender's domain");
    }
  }

  // 1.3: an absent room_version means "1", which every server knows.
  const declared = event.content.room_version;
  if (declared !== undefined && (typeof declared !== 'string' || roomVersion(declared) === undefined)) {
    return reject(`m.room.create declares an unrecognised room_version ${JSON.stringify(declared)}`);
  }

  // 1.4 (v1-v10): content.creator is how those versions name the creator. v11 dropped it.
  if (!version.creatorIsSender && !Object.hasOwn(event.content, 'creator')) {
    return reject('m.room.create has no content.creator');
  }

  // 1.4 (v12): every additional creator must pass the same validation as a sender.
  if (version.privilegedCreators && Object.hasOwn(event.content, 'additional_creators')) {
    const additional = event.content.additional_creators;
    if (!Array.isArray(additional) || !additional.every((userId) => isValidUserId(userId))) {
      return reject('m.room.create additional_creators must be an array of valid user IDs');
    }
  }

  return ALLOW;
}

/** v12: the room ID is the create event's ID with `!` for `$`. */
export function createEventRoomId(createEventId: string): string {
  return '!' + createEventId.slice(1);
}

/**
 * The user the "creator joins right after the create event" rule (join 1) names: `content.creator`
 * before v11, the create event's sender from v11 (also in v12, where additional creators do not
 * get this shortcut: they join like anyone else, with infinite power once joined).
 */
export function originalCreator(version: RoomVersion, create: RoomEvent): string | undefined {
  if (version.creatorIsSender) return create.sender;
  const creator = create.content.creator;
  return typeof creator === 'string' ? creator : undefined;
}

/**
 * The room creators. v12: the create event's sender plus `content.additional_creators`, all with
 * infinite power. Earlier: the single creator, who only matters (with level 100) while the room
 * has no m.room.power_levels event.
 */
export function creatorsOf(version: RoomVersion, create: RoomEvent): ReadonlySet<string> {
  const creators = new Set<string>();
  const creator = originalCreator(version, create);
  if (creator !== undefined) creators.add(creator);
  if (version.privilegedCreators) {
    const additional = create.content.additional_creators;
    // An accepted create event has only valid user IDs here (rule 1.4); the filter keeps this
    // total for events that were never checked.
    if (Array.isArray(additional)) {
      for (const userId of additional) if (typeof userId === 'string') creators.add(userId);
    }
  }
  return creators;
}
