import { AnyObject, endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const setRoomStateWithKey = endpoint({
  id: 'setRoomStateWithKey',
  method: 'PUT',
  path: '/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}',
  // With an empty state key the trailing slash is optional.
  aliases: [
    '/_matrix/client/r0/rooms/{roomId}/state/{eventType}/{stateKey}',
    '/_matrix/client/v3/rooms/{roomId}/state/{eventType}',
    '/_matrix/client/r0/rooms/{roomId}/state/{eventType}',
  ],
  auth: 'user',
  rateLimit: 'message',
  body: AnyObject(),
  async handler({ services, requester, params, body }) {
    const eventId = services.rooms.messaging.putState(requester, params['roomId']!, params['eventType']!, params['stateKey'] ?? '', body);
    return ok({ event_id: eventId });
  },
});

export const roomStateEndpoints = [setRoomStateWithKey];
