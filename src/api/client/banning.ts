import { Type } from '@sinclair/typebox';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

const Body = Type.Object({ user_id: Type.String(), reason: Type.Optional(Type.String()) });

export const ban = endpoint({
  id: 'ban',
  method: 'POST',
  path: '/_matrix/client/v3/rooms/{roomId}/ban',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/ban'],
  auth: 'user',
  rateLimit: 'general',
  body: Body,
  async handler({ services, requester, params, body }) {
    services.rooms.membership.ban(requester, params['roomId']!, body.user_id, body.reason);
    return ok({});
  },
});

export const unban = endpoint({
  id: 'unban',
  method: 'POST',
  path: '/_matrix/client/v3/rooms/{roomId}/unban',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/unban'],
  auth: 'user',
  rateLimit: 'general',
  body: Body,
  async handler({ services, requester, params, body }) {
    services.rooms.membership.unban(requester, params['roomId']!, body.user_id, body.reason);
    return ok({});
  },
});

export const banningEndpoints = [ban, unban];
