import { AnyObject, endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const sendMessage = endpoint({
  id: 'sendMessage',
  method: 'PUT',
  path: '/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/send/{eventType}/{txnId}'],
  auth: 'user',
  rateLimit: 'message',
  body: AnyObject(),
  async handler({ services, requester, params, body }) {
    const eventId = await services.rooms.messaging.send(requester, params['roomId']!, params['eventType']!, params['txnId']!, body);
    // Sending is activity, as typing and receipts are (Synapse does the same).
    services.presence.userActive(requester.userId);
    return ok({ event_id: eventId });
  },
});

export const roomSendEndpoints = [sendMessage];
