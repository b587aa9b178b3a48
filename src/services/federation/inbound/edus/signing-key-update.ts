import type { EduHandler } from './edu-context.js';
import { isOriginUser, objectMember } from './edu-context.js';

/**
 * m.signing_key_update `{user_id, master_key?, self_signing_key?}`: one of the origin's users
 * changed their cross-signing keys. Handed to end-to-end encryption, which keeps the well-formed
 * keys of users sharing a room with ours (keys not sent stay as they were).
 */
export const handleSigningKeyUpdate: EduHandler = (ctx, content) => {
  const userId = content['user_id'];
  if (!isOriginUser(ctx, userId)) return;
  const masterKey = objectMember(content, 'master_key');
  const selfSigningKey = objectMember(content, 'self_signing_key');
  if (!masterKey && !selfSigningKey) return;
  ctx.deviceLists.signingKeyUpdate({ userId, masterKey, selfSigningKey });
};
