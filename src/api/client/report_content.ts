import { Type } from '@sinclair/typebox';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const reportRoom = endpoint({
  id: 'reportRoom',
  method: 'POST',
  path: '/_matrix/client/v3/rooms/{roomId}/report',
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ reason: Type.String() }),
  async handler({ services, requester, params, body }) {
    services.reports.reportRoom(requester, params['roomId']!, body.reason);
    return ok({});
  },
});

export const reportEvent = endpoint({
  id: 'reportEvent',
  method: 'POST',
  path: '/_matrix/client/v3/rooms/{roomId}/report/{eventId}',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/report/{eventId}'],
  auth: 'user',
  rateLimit: 'general',
  // `score` was removed in v1.18; older clients still send it, so it is accepted and ignored.
  body: Type.Object({ reason: Type.Optional(Type.String()), score: Type.Optional(Type.Integer()) }),
  async handler({ services, requester, params, body }) {
    services.reports.reportEvent(requester, params['roomId']!, params['eventId']!, body.reason);
    return ok({});
  },
});

export const reportUser = endpoint({
  id: 'reportUser',
  method: 'POST',
  path: '/_matrix/client/v3/users/{userId}/report',
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ reason: Type.String() }),
  async handler({ services, requester, params, body }) {
    services.reports.reportUser(requester, params['userId']!, body.reason);
    return ok({});
  },
});

export const reportContentEndpoints = [reportRoom, reportEvent, reportUser];
