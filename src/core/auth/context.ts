import type { RoomEvent } from '../events/room-event.js';
import type { RoomVersion } from '../room-versions.js';
import { roomPower, type RoomPower } from './power-levels.js';
import type { AuthStateLookup } from './result.js';

/**
 * What every per-kind rule gets: the version, the state, the create event found in it, and the
 * power levels, parsed only when a rule first needs them (most membership changes by the user
 * themself never do, and a malformed power levels event should only fail the checks that read it).
 */
export interface AuthContext {
  readonly version: RoomVersion;
  readonly state: AuthStateLookup;
  readonly create: RoomEvent;
  /** The room's power, or the reason the power levels in state cannot be read. */
  power(): RoomPower | { readonly error: string };
}

export function authContext(version: RoomVersion, state: AuthStateLookup, create: RoomEvent): AuthContext {
  let cached: RoomPower | { readonly error: string } | undefined;
  return {
    version,
    state,
    create,
    power() {
      cached ??= roomPower(version, state('m.room.power_levels', ''), create);
      return cached;
    },
  };
}

/** A user's current membership, or undefined when they have no m.room.member event. */
export function membershipOf(state: AuthStateLookup, userId: string): string | undefined {
  const membership = state('m.room.member', userId)?.content.membership;
  return typeof membership === 'string' ? membership : undefined;
}

/**
 * The room's join rule. A room without m.room.join_rules is treated as `invite`, as Synapse does
 * and as the event's own schema default suggests; the spec's rules never say. A present but
 * non-string join_rule yields undefined, which matches no rule.
 */
export function joinRuleOf(state: AuthStateLookup): string | undefined {
  const event = state('m.room.join_rules', '');
  if (!event || !Object.hasOwn(event.content, 'join_rule')) return 'invite';
  const rule = event.content.join_rule;
  return typeof rule === 'string' ? rule : undefined;
}
