import type { EduHandler } from './edu-context.js';
import { isOriginUser, objectMember, stringMember } from './edu-context.js';

/** prev_id entries looked at; a longer list is cut (it only decides whether to resync). */
const MAX_PREV_IDS = 100;

/**
 * m.device_list_update `{user_id, device_id, stream_id, prev_id?, deleted?, keys?,
 * device_display_name?}`: a device of one of the origin's users changed. Handed to end-to-end
 * encryption (services/e2e/remote-device-lists.ts), which keeps it for users sharing a room with
 * ours and resyncs the list when the update does not follow the last one it holds.
 */
export const handleDeviceListUpdate: EduHandler = (ctx, content) => {
  const userId = content['user_id'];
  const deviceId = stringMember(content, 'device_id');
  const streamId = content['stream_id'];
  if (!isOriginUser(ctx, userId) || deviceId === undefined) return;
  if (typeof streamId !== 'number' || !Number.isSafeInteger(streamId)) return;
  const prev = content['prev_id'];
  const prevIds = Array.isArray(prev) ? prev.slice(0, MAX_PREV_IDS).filter((p): p is number => typeof p === 'number' && Number.isSafeInteger(p)) : [];
  ctx.deviceLists.deviceListUpdate({
    userId,
    deviceId,
    streamId,
    prevIds,
    deleted: content['deleted'] === true,
    displayName: stringMember(content, 'device_display_name', 1024) ?? null,
    keys: objectMember(content, 'keys'),
  });
};
