import { Type } from '@sinclair/typebox';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const setTyping = endpoint({
  id: 'setTyping',
  method: 'PUT',
  path: '/_matrix/client/v3/rooms/{roomId}/typing/{userId}',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/typing/{userId}'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ typing: Type.Boolean(), timeout: Type.Optional(Type.Integer({ minimum: 0 })) }),
  async handler({ services, requester, params, body }) {
    services.typing.set(requester, params['roomId']!, params['userId']!, body.typing, body.timeout);
    if (body.typing) services.presence.userActive(requester.userId);
    return ok({});
  },
});

export const typingEndpoints = [setTyping];
