import { canonicalJson } from '../../../../core/canonical-json.js';
import type { EduHandler } from './edu-context.js';
import { isOriginUser, objectMember, stringMember } from './edu-context.js';

/**
 * m.device_list_update `{user_id, device_id, stream_id, prev_id?, deleted?, keys?,
 * device_display_name?}`: a device of one of the origin's users changed. Kept (latest per
 * device) for end-to-end encryption, for users sharing a room with us.
 */
export const handleDeviceListUpdate: EduHandler = (ctx, content) => {
  const userId = content['user_id'];
  const deviceId = stringMember(content, 'device_id');
  const streamId = content['stream_id'];
  if (!isOriginUser(ctx, userId) || deviceId === undefined) return;
  if (typeof streamId !== 'number' || !Number.isSafeInteger(streamId)) return;
  if (ctx.storage.memberships.roomsOfUser(userId, 'join').length === 0) return;
  const keys = objectMember(content, 'keys');
  ctx.storage.federationInbound.putDeviceUpdate({
    userId,
    deviceId,
    streamId,
    deleted: content['deleted'] === true,
    displayName: stringMember(content, 'device_display_name', 1024) ?? null,
    keysJson: keys ? canonicalJson(keys) : null,
    updatedTs: ctx.clock.now(),
  });
};
