import { isJsonObject, type JsonObject, type JsonValue } from '../../../core/json.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { invalidParam } from '../../errors.js';
import type { MembershipContext } from './context.js';
import { federationPdu } from './federation-pdu.js';
import { checkPdus } from './pdu-checks.js';

/**
 * invite_room_state / knock_room_state as received: since v1.16 full PDUs of the room, its create
 * event among them. Entries that are not properly formatted and signed, or are of another room,
 * are dropped ("SHOULD be removed ... prior to supplying them over the Client-Server API"); with
 * `rejectBad` (an invite to a v12 room, where the spec says SHOULD reject) any such entry, or a
 * missing create event, fails the request with M_INVALID_PARAM instead.
 *
 * Servers predating v1.16 send stripped events (type, state_key, content, sender, no
 * signatures); outside `rejectBad` those are kept as they are, for the client's sake.
 */
export async function checkStrippedStateList(
  ctx: MembershipContext,
  version: RoomVersion,
  roomId: string,
  value: JsonValue | undefined,
  rejectBad: boolean,
): Promise<JsonObject[]> {
  const entries = Array.isArray(value) ? value : [];
  if (value !== undefined && !Array.isArray(value) && rejectBad) throw invalidParam('The room state must be a list');
  const pdus: JsonObject[] = [];
  const stripped: JsonObject[] = [];
  for (const entry of entries) {
    if (!isJsonObject(entry)) {
      if (rejectBad) throw invalidParam('Room state entries must be objects');
      continue;
    }
    if (Object.hasOwn(entry, 'signatures') || rejectBad) pdus.push(entry);
    else if (looksStripped(entry)) stripped.push(entry);
  }
  const { checked, failed } = await checkPdus(ctx.verifier, version, pdus, { onHashMismatch: 'redact' });
  if (rejectBad && failed.length > 0) throw invalidParam(`Invalid room state entry: ${failed[0]!.reason}`);
  const inRoom = checked.filter((c) => c.event.room_id === roomId && c.event.state_key !== undefined);
  if (rejectBad && inRoom.length !== checked.length) throw invalidParam('A room state entry belongs to another room or is not state');
  if (rejectBad && !inRoom.some((c) => c.event.type === 'm.room.create' && c.event.state_key === '')) {
    throw invalidParam('The room state must contain the m.room.create event');
  }
  return [...inRoom.map((c) => federationPdu(c.pdu)), ...stripped];
}

/** A stripped state event (type, state_key, content, sender), as pre-1.16 servers send. */
function looksStripped(entry: JsonObject): boolean {
  return typeof entry.type === 'string' && typeof entry.state_key === 'string' && isJsonObject(entry.content) && typeof entry.sender === 'string';
}
