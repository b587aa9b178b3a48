import { Type } from '@sinclair/typebox';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const redactEvent = endpoint({
  id: 'redactEvent',
  method: 'PUT',
  path: '/_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/redact/{eventId}/{txnId}'],
  auth: 'user',
  rateLimit: 'message',
  body: Type.Object({ reason: Type.Optional(Type.String()) }),
  async handler({ services, requester, params, body }) {
    const eventId = services.rooms.messaging.redact(requester, params['roomId']!, params['eventId']!, params['txnId']!, body.reason);
    return ok({ event_id: eventId });
  },
});

export const redactionEndpoints = [redactEvent];
