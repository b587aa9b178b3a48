import type { EduHandler } from './edu-context.js';
import { isOriginUser, objectMember, stringMember } from './edu-context.js';

/**
 * m.direct_to_device `{sender, type, message_id, messages: {user_id: {device_id | "*": content}}}`:
 * to-device messages from a user of the origin for our users' devices. Delivered into their
 * inboxes once per (origin, message_id), `*` expanded to the devices the user has now; the
 * service skips what is not for an existing device of ours (services/to-device.ts).
 */
export const handleDirectToDevice: EduHandler = (ctx, content) => {
  const sender = content['sender'];
  const type = stringMember(content, 'type');
  const messageId = stringMember(content, 'message_id');
  const messages = objectMember(content, 'messages');
  if (!isOriginUser(ctx, sender) || type === undefined || type.length === 0 || messageId === undefined || !messages) return;
  ctx.toDevice.receive({ origin: ctx.origin, sender, type, messageId, messages });
};
