import type { AuthStateLookup } from '../../core/auth/index.js';
import type { RoomEvent } from '../../core/events/room-event.js';
import type { RoomVersion } from '../../core/room-versions.js';
import { serverOfUserId } from '../user-ids.js';
import { powerView } from './power.js';

/**
 * Whether an accepted m.room.redaction actually redacts its target (room versions' "Handling
 * redactions"): the target must be in the same room, and the redaction must come from the
 * target sender's server or from someone with the redact level. Until then the redaction is
 * kept but changes nothing (the target may arrive later, or never qualify).
 */
export function redactionApplies(version: RoomVersion, redaction: RoomEvent, target: RoomEvent, state: AuthStateLookup): boolean {
  if (redaction.room_id !== target.room_id) return false;
  if (serverOfUserId(redaction.sender) === serverOfUserId(target.sender)) return true;
  const power = powerView(version, state);
  return power.userLevel(redaction.sender) >= power.level('redact');
}
