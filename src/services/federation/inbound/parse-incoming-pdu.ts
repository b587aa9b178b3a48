import { computeEventId } from '../../../core/events/event-id.js';
import { PduFormatError, toRoomEvent, validatePdu, type Pdu } from '../../../core/events/pdu.js';
import { isJsonObject, type JsonObject } from '../../../core/json.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { PduDroppedError, type IncomingPdu } from './incoming-pdu.js';

/**
 * Step 1 of the inbound pipeline (conduwuit's parse_incoming_pdu; the spec's "Checks performed
 * on receipt of a PDU", check 1): the room must be one we know, so its version says what a valid
 * PDU looks like; the PDU must then pass the version's format check (schema, size limits,
 * identifier grammars, integer ranges for v6+). Anything else is dropped here, before a single
 * signature is checked or byte stored.
 *
 * `unsigned` is not covered by signatures or hashes, so a sender can put anything there; like
 * Synapse we keep none of it (clients get the `unsigned` we compute).
 */
export function parseIncomingPdu(
  raw: unknown,
  versionOf: (roomId: string) => RoomVersion | undefined,
  expectedRoomId?: string,
): IncomingPdu {
  if (!isJsonObject(raw)) throw new PduDroppedError('PDU is not a JSON object');
  // A v12 m.room.create has no room_id (the room ID derives from it): it can only come as part
  // of a room's auth chain or state, where the caller knows which room it must be.
  const roomId = raw['room_id'] ?? (raw['type'] === 'm.room.create' ? expectedRoomId : undefined);
  if (typeof roomId !== 'string') throw new PduDroppedError('PDU has no room_id');
  if (expectedRoomId !== undefined && roomId !== expectedRoomId) throw new PduDroppedError(`PDU belongs to room ${roomId}, not ${expectedRoomId}`);
  const version = versionOf(roomId);
  if (!version) throw new PduDroppedError(`Unknown room ${roomId}`);

  let pdu: Pdu;
  try {
    pdu = validatePdu(raw, version);
  } catch (err) {
    if (err instanceof PduFormatError) throw new PduDroppedError(`Invalid PDU: ${err.message}`);
    throw err;
  }
  if (Object.hasOwn(pdu, 'unsigned')) {
    const { unsigned: _dropped, ...rest } = pdu;
    pdu = rest as Pdu;
  }
  const eventId = computeEventId(pdu, version);
  const event = toRoomEvent(pdu, version, eventId);
  if (event.room_id !== roomId) throw new PduDroppedError(`Create event of room ${event.room_id}, not ${roomId}`);
  return { pdu, event, version, eventId, roomId, verified: false, redactedForHash: false };
}

/**
 * The event ID a malformed PDU claims or hashes to, for keying its error in the /send answer;
 * undefined when not even that can be worked out.
 */
export function eventIdOfRaw(raw: unknown, version: RoomVersion | undefined): string | undefined {
  if (!isJsonObject(raw) || !version) return undefined;
  try {
    const id = computeEventId(raw as JsonObject, version);
    return id.length <= 255 ? id : undefined;
  } catch {
    return undefined;
  }
}
