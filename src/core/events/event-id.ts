import { encodeBase64, encodeBase64Url } from '../base64.js';
import { ProtocolError } from '../errors.js';
import { computeReferenceHash } from '../hashes.js';
import type { RoomVersion } from '../room-versions.js';
import type { EventJson } from './redaction.js';

/**
 * Event IDs per room version:
 * - v1, v2: `$opaque:server`, chosen by the creating server and carried in the PDU's event_id;
 * - v3: `$` + unpadded standard base64 of the reference hash;
 * - v4+: `$` + unpadded URL-safe base64 of the reference hash (no `/` to escape in URLs).
 * v12 room IDs are the create event's ID with `!` for `$`.
 */

export class EventIdError extends ProtocolError {
  override name = 'EventIdError';
}

/** The ID for a reference hash in a hash-format room version (v3+). */
export function eventIdFromReferenceHash(hash: Uint8Array, version: RoomVersion): string {
  switch (version.eventIdFormat) {
    case 'hash-base64':
      return '$' + encodeBase64(hash);
    case 'hash-base64url':
      return '$' + encodeBase64Url(hash);
    case 'explicit':
      throw new EventIdError(`room version ${version.id} event IDs are not derived from the reference hash`);
  }
}

/**
 * The event's ID. v1/v2 read the event_id field (throws EventIdError if it is not a string);
 * v3+ hash exactly the object given, so callers must not store a convenience `event_id` inside
 * v3+ PDUs they later hash (it would change the ID).
 */
export function computeEventId(pdu: EventJson, version: RoomVersion): string {
  if (version.eventIdFormat === 'explicit') {
    const id = Object.hasOwn(pdu, 'event_id') ? pdu.event_id : undefined;
    if (typeof id !== 'string') throw new EventIdError(`room version ${version.id} PDU has no event_id`);
    return id;
  }
  return eventIdFromReferenceHash(computeReferenceHash(pdu, version), version);
}

/**
 * A fresh v1/v2 event ID, `$<url-safe base64 of randomBytes>:<server>`. The caller supplies the
 * randomness (the core has none); 18 bytes or more keeps collisions out of reach.
 */
export function mintOpaqueEventId(randomBytes: Uint8Array, serverName: string): string {
  if (randomBytes.length < 8) throw new EventIdError('need at least 8 random bytes for an event ID');
  const id = `$${encodeBase64Url(randomBytes)}:${serverName}`;
  if (Buffer.byteLength(id, 'utf8') > 255) throw new EventIdError('event ID would exceed 255 bytes');
  return id;
}

/** v12: the room ID is the create event's ID with `!` instead of `$`. */
export function roomIdFromCreateEventId(createEventId: string): string {
  if (!createEventId.startsWith('$')) throw new EventIdError(`not an event ID: ${JSON.stringify(createEventId)}`);
  return '!' + createEventId.slice(1);
}
