import { canonicalJson } from '../../../../core/canonical-json.js';
import type { EduHandler } from './edu-context.js';
import { isOriginUser, objectMember } from './edu-context.js';

/**
 * m.signing_key_update `{user_id, master_key?, self_signing_key?}`: one of the origin's users
 * changed their cross-signing keys. Kept for end-to-end encryption (keys not sent stay as they were).
 */
export const handleSigningKeyUpdate: EduHandler = (ctx, content) => {
  const userId = content['user_id'];
  if (!isOriginUser(ctx, userId)) return;
  const master = objectMember(content, 'master_key');
  const selfSigning = objectMember(content, 'self_signing_key');
  if (!master && !selfSigning) return;
  if (ctx.storage.memberships.roomsOfUser(userId, 'join').length === 0) return;
  ctx.storage.federationInbound.putCrossSigningKeys({
    userId,
    masterKeyJson: master ? canonicalJson(master) : null,
    selfSigningKeyJson: selfSigning ? canonicalJson(selfSigning) : null,
    updatedTs: ctx.clock.now(),
  });
};
