import type { EduHandler } from './edu-context.js';
import { isOriginUser, roomAllowsOrigin, stringMember } from './edu-context.js';

/** m.typing `{room_id, user_id, typing}`: a user of the origin started or stopped typing. */
export const handleTyping: EduHandler = (ctx, content) => {
  const roomId = stringMember(content, 'room_id');
  const userId = content['user_id'];
  const typing = content['typing'];
  if (roomId === undefined || !isOriginUser(ctx, userId) || typeof typing !== 'boolean') return;
  if (!roomAllowsOrigin(ctx, roomId)) return;
  ctx.typing.setRemote(roomId, userId, typing);
};
