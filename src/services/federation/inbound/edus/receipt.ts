import { isJsonObject } from '../../../../core/json.js';
import type { EduHandler } from './edu-context.js';
import { isOriginUser, objectMember, roomAllowsOrigin } from './edu-context.js';

/** Receipts stored per EDU at most (rooms × users); the rest of a larger one is ignored. */
const MAX_RECEIPTS = 1000;

/**
 * m.receipt `{room_id: {"m.read": {user_id: {event_ids, data: {ts, thread_id?}}}}}`: public read
 * receipts of the origin's users (private ones never leave their server). The last event ID
 * listed is the one kept, as Synapse does.
 */
export const handleReceipt: EduHandler = (ctx, content) => {
  let budget = MAX_RECEIPTS;
  for (const roomId of Object.keys(content)) {
    const byType = objectMember(content, roomId);
    const reads = byType && objectMember(byType, 'm.read');
    if (!reads || !roomAllowsOrigin(ctx, roomId)) continue;
    for (const userId of Object.keys(reads)) {
      if (budget-- <= 0) return;
      const receipt = reads[userId];
      if (!isOriginUser(ctx, userId) || !isJsonObject(receipt)) continue;
      const eventIds = receipt['event_ids'];
      const eventId = Array.isArray(eventIds) ? eventIds[eventIds.length - 1] : undefined;
      if (typeof eventId !== 'string' || eventId.length > 255) continue;
      const data = objectMember(receipt, 'data') ?? {};
      const ts = typeof data['ts'] === 'number' && Number.isSafeInteger(data['ts']) ? data['ts'] : ctx.clock.now();
      const thread = data['thread_id'];
      const threadId = typeof thread === 'string' && thread.length > 0 && thread.length <= 255 ? thread : '';
      ctx.receipts.putRemote(roomId, userId, eventId, threadId, ts);
    }
  }
};
