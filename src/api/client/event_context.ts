import { endpoint, queryParam } from '../define.js';
import { ok } from '../endpoint.js';
import { countParam } from './message_pagination.js';

export const getEventContext = endpoint({
  id: 'getEventContext',
  method: 'GET',
  path: '/_matrix/client/v3/rooms/{roomId}/context/{eventId}',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/context/{eventId}'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params, query }) {
    return ok(
      services.timeline.context(
        requester,
        params['roomId']!,
        params['eventId']!,
        countParam(queryParam(query, 'limit'), 'limit'),
        queryParam(query, 'filter'),
      ),
    );
  },
});

export const eventContextEndpoints = [getEventContext];
