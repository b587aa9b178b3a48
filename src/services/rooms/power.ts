import { DEFAULT_POWER_LEVELS, parsePowerLevels, userPowerLevel, type AuthStateLookup } from '../../core/auth/index.js';
import type { RoomVersion } from '../../core/room-versions.js';

/**
 * Power levels as the room service reads them outside the auth rules (may this user redact
 * others' events, change the directory listing, upgrade the room?): the same numbers the rules
 * use, creators included (Infinity in v12).
 */

export type PowerField = keyof typeof DEFAULT_POWER_LEVELS;

export interface PowerView {
  userLevel(userId: string): number;
  /** A single-valued level (ban, kick, redact, invite, state_default, ...). */
  level(field: PowerField): number;
  /** The level needed to send an event of this type. */
  eventLevel(type: string, isState: boolean): number;
}

export function powerView(version: RoomVersion, state: AuthStateLookup): PowerView {
  const create = state('m.room.create', '');
  const powerLevels = state('m.room.power_levels', '');
  const parsed = powerLevels ? parsePowerLevels(version, powerLevels.content) : undefined;
  const levels = parsed && !('error' in parsed) ? parsed : undefined;
  const level = (field: PowerField): number => levels?.fields[field] ?? DEFAULT_POWER_LEVELS[field];
  return {
    userLevel: (userId) => userPowerLevel(version, userId, powerLevels, create),
    level,
    eventLevel: (type, isState) => levels?.events.get(type) ?? level(isState ? 'state_default' : 'events_default'),
  };
}
