import { Type } from '@sinclair/typebox';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const setPresence = endpoint({
  id: 'setPresence',
  method: 'PUT',
  path: '/_matrix/client/v3/presence/{userId}/status',
  aliases: ['/_matrix/client/r0/presence/{userId}/status'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({
    presence: Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('unavailable')]),
    status_msg: Type.Optional(Type.String()),
  }),
  async handler({ services, requester, params, body }) {
    services.presence.set(requester, params['userId']!, body.presence, body.status_msg);
    return ok({});
  },
});

export const getPresence = endpoint({
  id: 'getPresence',
  method: 'GET',
  path: '/_matrix/client/v3/presence/{userId}/status',
  aliases: ['/_matrix/client/r0/presence/{userId}/status'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params }) {
    return ok(services.presence.get(requester, params['userId']!));
  },
});

export const presenceEndpoints = [setPresence, getPresence];
