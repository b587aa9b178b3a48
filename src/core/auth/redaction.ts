import type { RoomEvent } from '../events/room-event.js';
import { domainOf } from './identifiers.js';
import { namedLevel, userLevel, type RoomPower } from './power-levels.js';
import { ALLOW, reject, type AuthResult } from './result.js';

/**
 * Rule 11 of v1/v2 (`redactionDomainAuthRule`): m.room.redaction needs the redact level, unless
 * the redaction comes from the same server as the event it redacts (v1/v2 event IDs carry the
 * origin's domain). From v3 event IDs have no domain, redactions pass like any other event, and
 * whether to actually apply one is decided when the redacted event is known (v3 "Handling
 * redactions"), outside the auth rules.
 */
export function checkRedactionEvent(event: RoomEvent, power: RoomPower): AuthResult {
  if (userLevel(power, event.sender) >= namedLevel(power, 'redact')) return ALLOW;
  const ownDomain = domainOf(event.event_id);
  if (event.redacts !== undefined && ownDomain !== undefined && domainOf(event.redacts) === ownDomain) return ALLOW;
  return reject('sender is below the redact level and the redacted event is from another server');
}
