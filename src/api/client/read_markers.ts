import { Type } from '@sinclair/typebox';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const setReadMarker = endpoint({
  id: 'setReadMarker',
  method: 'POST',
  path: '/_matrix/client/v3/rooms/{roomId}/read_markers',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/read_markers'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({
    'm.fully_read': Type.Optional(Type.String({ minLength: 1 })),
    'm.read': Type.Optional(Type.String({ minLength: 1 })),
    'm.read.private': Type.Optional(Type.String({ minLength: 1 })),
  }),
  async handler({ services, requester, params, body }) {
    services.receipts.setReadMarkers(requester, params['roomId']!, {
      fullyRead: body['m.fully_read'],
      read: body['m.read'],
      readPrivate: body['m.read.private'],
    });
    services.presence.userActive(requester.userId);
    return ok({});
  },
});

export const readMarkersEndpoints = [setReadMarker];
