import { canonicalJson } from '../../../../core/canonical-json.js';
import { isJsonObject } from '../../../../core/json.js';
import { serverOfUserId } from '../../../user-ids.js';
import type { EduHandler } from './edu-context.js';
import { isOriginUser, objectMember, stringMember } from './edu-context.js';

/** Messages stored per EDU at most; a larger EDU is cut there. */
const MAX_MESSAGES = 1000;

/**
 * m.direct_to_device `{sender, type, message_id, messages: {user_id: {device_id | "*": content}}}`:
 * to-device messages from a user of the origin for our users' devices. Stored, once per
 * (origin, message_id, device), until end-to-end encryption delivers them.
 */
export const handleDirectToDevice: EduHandler = (ctx, content) => {
  const sender = content['sender'];
  const type = stringMember(content, 'type');
  const messageId = stringMember(content, 'message_id');
  const messages = objectMember(content, 'messages');
  if (!isOriginUser(ctx, sender) || type === undefined || messageId === undefined || !messages) return;
  const receivedTs = ctx.clock.now();
  let budget = MAX_MESSAGES;
  ctx.storage.transaction(() => {
    for (const userId of Object.keys(messages)) {
      const devices = messages[userId];
      if (serverOfUserId(userId) !== ctx.serverName || !isJsonObject(devices) || !ctx.storage.accounts.get(userId)) continue;
      for (const deviceId of Object.keys(devices)) {
        if (budget-- <= 0) return;
        const body = devices[deviceId];
        if (!isJsonObject(body) || deviceId.length > 255) continue;
        ctx.storage.federationInbound.insertToDevice({
          origin: ctx.origin,
          messageId,
          sender,
          userId,
          deviceId,
          type,
          contentJson: canonicalJson(body),
          receivedTs,
        });
      }
    }
  });
};
