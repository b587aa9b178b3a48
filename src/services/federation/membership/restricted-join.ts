import { isJsonObject } from '../../../core/json.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import type { Storage } from '../../../storage/storage.js';
import { MatrixError } from '../../errors.js';
import { powerView } from '../../rooms/power.js';
import type { RoomServices } from '../../rooms/index.js';
import { serverOfUserId } from '../../user-ids.js';

/**
 * Restricted rooms (v8+, "Restricted rooms" in both APIs): a user who is neither invited nor
 * joined may join when they are in one of the rooms `allow` names. Only a server that can see
 * that membership can vouch: it puts one of its users who may invite into the join's
 * join_authorised_via_users_server, and signs the join (the auth rules then check that user's
 * power and the signing server checks the signature).
 */

export const UNABLE_TO_AUTHORISE_JOIN = 'M_UNABLE_TO_AUTHORISE_JOIN';
export const UNABLE_TO_GRANT_JOIN = 'M_UNABLE_TO_GRANT_JOIN';

/**
 * The local user to name in join_authorised_via_users_server, or undefined when the join needs
 * none (not a restricted room, or the user is invited or already joined). Throws the spec's
 * errors when we cannot vouch.
 */
export function authorisingUser(
  storage: Storage,
  rooms: RoomServices,
  version: RoomVersion,
  roomId: string,
  userId: string,
  serverName: string,
): string | undefined {
  if (!version.restrictedJoins) return undefined;
  const lookup = rooms.state.currentLookup(roomId);
  const joinRules = lookup('m.room.join_rules', '')?.content;
  const rule = joinRules?.join_rule;
  if (rule !== 'restricted' && !(rule === 'knock_restricted' && version.knockRestricted)) return undefined;
  const membership = storage.memberships.current(roomId, userId)?.membership;
  if (membership === 'join' || membership === 'invite') return undefined;

  const allow = Array.isArray(joinRules?.allow) ? joinRules.allow : [];
  const satisfied = allow.some(
    (condition) =>
      isJsonObject(condition) &&
      condition.type === 'm.room_membership' &&
      typeof condition.room_id === 'string' &&
      storage.memberships.current(condition.room_id, userId)?.membership === 'join',
  );
  if (!satisfied) throw new MatrixError(400, UNABLE_TO_AUTHORISE_JOIN, 'Cannot verify that the user may join this restricted room');

  const power = powerView(version, lookup);
  const inviteLevel = power.level('invite');
  for (const member of storage.memberships.members(roomId, 'join')) {
    if (serverOfUserId(member.userId) === serverName && power.userLevel(member.userId) >= inviteLevel) return member.userId;
  }
  throw new MatrixError(400, UNABLE_TO_GRANT_JOIN, 'No user of this server may invite to this room; try another server');
}
