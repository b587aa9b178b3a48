import { Type } from '@sinclair/typebox';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const kick = endpoint({
  id: 'kick',
  method: 'POST',
  path: '/_matrix/client/v3/rooms/{roomId}/kick',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/kick'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ user_id: Type.String(), reason: Type.Optional(Type.String()) }),
  async handler({ services, requester, params, body }) {
    services.rooms.membership.kick(requester, params['roomId']!, body.user_id, body.reason);
    return ok({});
  },
});

export const kickingEndpoints = [kick];
