import { Type } from '@sinclair/typebox';
import { AnyObject, endpoint } from '../define.js';
import { ok } from '../endpoint.js';

/**
 * Pushers (spec "Client behaviour"): listed and set per user. Lattice stores them but sends no
 * HTTP pushes to push gateways yet.
 */

export const getPushers = endpoint({
  id: 'getPushers',
  method: 'GET',
  path: '/_matrix/client/v3/pushers',
  aliases: ['/_matrix/client/r0/pushers'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester }) {
    return ok({ pushers: services.push.pushers.list(requester.userId) });
  },
});

export const postPusher = endpoint({
  id: 'postPusher',
  method: 'POST',
  path: '/_matrix/client/v3/pushers/set',
  aliases: ['/_matrix/client/r0/pushers/set'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({
    kind: Type.Union([Type.String(), Type.Null()]),
    app_id: Type.String(),
    pushkey: Type.String(),
    app_display_name: Type.Optional(Type.String()),
    device_display_name: Type.Optional(Type.String()),
    profile_tag: Type.Optional(Type.String()),
    lang: Type.Optional(Type.String()),
    data: Type.Optional(AnyObject()),
    append: Type.Optional(Type.Boolean()),
  }),
  async handler({ services, requester, body }) {
    services.push.pushers.set(requester, body);
    return ok({});
  },
});

export const pusherEndpoints = [getPushers, postPusher];
