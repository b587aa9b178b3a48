import { randomBytes } from 'node:crypto';
import { computeEventId, mintOpaqueEventId } from '../../../core/events/event-id.js';
import { toRoomEvent, validatePdu, type Pdu } from '../../../core/events/pdu.js';
import type { EventJson } from '../../../core/events/redaction.js';
import type { RoomEvent } from '../../../core/events/room-event.js';
import { hashAndSignEvent } from '../../../core/events/signing.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../../core/json.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import type { SigningKey } from '../../../core/signing.js';

/**
 * Membership event templates, the first half of the make_join / make_leave / make_knock
 * handshakes ("Joining rooms"): the resident server fills in what only a server in the room
 * knows (prev_events, auth_events, depth), the joining server signs the result as its own.
 */

export type HandshakeMembership = 'join' | 'leave' | 'knock';

/** Resident side: a built event turned into a template (no hashes, signatures or minted ID). */
export function templateOf(pdu: Pdu, origin: string): JsonObject {
  const { hashes: _hashes, signatures: _signatures, unsigned: _unsigned, event_id: _eventId, ...rest } = pdu;
  // make_join's template names the resident server (required by the schema); the joining
  // server drops it again, as no room version protects `origin` any longer.
  return { ...(rest as JsonObject), origin };
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

export interface SignedTemplate {
  readonly pdu: Pdu;
  readonly eventId: string;
  readonly event: RoomEvent;
}

export interface SignTemplateOptions {
  readonly version: RoomVersion;
  readonly roomId: string;
  readonly userId: string;
  readonly membership: HandshakeMembership;
  /** Our member content (displayname, avatar_url, reason); membership and the vouching user come from the template. */
  readonly content: JsonObject;
  readonly origin: string;
  readonly key: SigningKey;
  readonly now: number;
}

/**
 * Joining side: checks the template says what we asked for (the spec's four checks; otherwise it
 * "MUST be treated as malformed"), then builds our event from it and signs it.
 */
export function signTemplate(template: unknown, options: SignTemplateOptions): SignedTemplate {
  const { version, roomId, userId, membership } = options;
  if (!isJsonObject(template)) throw new TemplateError('the template is not an object');
  const content = template.content;
  if (template.type !== 'm.room.member') throw new TemplateError('the template is not an m.room.member event');
  if (template.room_id !== roomId) throw new TemplateError('the template is for another room');
  if (template.sender !== userId || template.state_key !== userId) throw new TemplateError('the template is for another user');
  if (!isJsonObject(content) || content.membership !== membership) throw new TemplateError(`the template's membership is not ${membership}`);

  const ourContent: JsonObject = { ...options.content, membership };
  const via = content.join_authorised_via_users_server;
  if (membership === 'join' && via !== undefined) ourContent.join_authorised_via_users_server = via;

  const event: Record<string, JsonValue> = {
    room_id: roomId,
    type: 'm.room.member',
    state_key: userId,
    sender: userId,
    origin_server_ts: options.now,
    depth: field(template, 'depth'),
    content: ourContent,
    prev_events: field(template, 'prev_events'),
    auth_events: field(template, 'auth_events'),
  };
  if (version.eventIdFormat === 'explicit') event.event_id = mintOpaqueEventId(randomBytes(18), options.origin);

  const signed = hashAndSignEvent(event as EventJson, options.origin, options.key, version);
  let pdu: Pdu;
  try {
    pdu = validatePdu(signed, version);
  } catch (err) {
    throw new TemplateError(`the template does not make a valid event: ${err instanceof Error ? err.message : String(err)}`);
  }
  const eventId = computeEventId(pdu, version);
  return { pdu, eventId, event: toRoomEvent(pdu, version, eventId) };
}

function field(template: JsonObject, name: string): JsonValue {
  const value = template[name];
  if (value === undefined) throw new TemplateError(`the template has no ${name}`);
  return value;
}
