import { Type } from '@sinclair/typebox';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const leaveRoom = endpoint({
  id: 'leaveRoom',
  method: 'POST',
  path: '/_matrix/client/v3/rooms/{roomId}/leave',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/leave'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ reason: Type.Optional(Type.String()) }),
  async handler({ services, requester, params, body }) {
    await services.rooms.membership.leave(requester, params['roomId']!, body.reason);
    return ok({});
  },
});

export const forgetRoom = endpoint({
  id: 'forgetRoom',
  method: 'POST',
  path: '/_matrix/client/v3/rooms/{roomId}/forget',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/forget'],
  auth: 'user',
  rateLimit: 'general',
  async handler({ services, requester, params }) {
    services.rooms.membership.forget(requester, params['roomId']!);
    return ok({});
  },
});

export const leavingEndpoints = [leaveRoom, forgetRoom];
