import { isJsonObject, type JsonObject } from '../../../../core/json.js';
import type { PresenceState } from '../../../../storage/presence-repo.js';
import type { EduContext, EduHandler } from './edu-context.js';
import { isOriginUser } from './edu-context.js';

const MAX_UPDATES = 1000;
const STATES: readonly string[] = ['online', 'unavailable', 'offline'];

/**
 * m.presence `{push: [{user_id, presence, last_active_ago, status_msg?, currently_active?}]}`:
 * kept for users of the origin who share a room with us (nobody here could see the others).
 */
export const handlePresence: EduHandler = (ctx, content) => {
  const push = content['push'];
  if (!Array.isArray(push)) return;
  for (const update of push.slice(0, MAX_UPDATES)) {
    if (isJsonObject(update)) applyOne(ctx, update);
  }
};

function applyOne(ctx: EduContext, update: JsonObject): void {
  const userId = update['user_id'];
  const state = update['presence'];
  if (!isOriginUser(ctx, userId) || typeof state !== 'string' || !STATES.includes(state)) return;
  if (ctx.storage.memberships.roomsOfUser(userId, 'join').length === 0) return;
  const ago = update['last_active_ago'];
  const msg = update['status_msg'];
  ctx.presence.setRemote(userId, {
    state: state as PresenceState,
    statusMsg: typeof msg === 'string' ? msg : null,
    lastActiveAgo: typeof ago === 'number' && Number.isSafeInteger(ago) && ago >= 0 ? ago : 0,
    currentlyActive: update['currently_active'] === true,
  });
}
