import { invalidParam } from '../../services/errors.js';
import type { RelationsParams } from '../../services/timeline/relations.js';
import { endpoint, queryParam } from '../define.js';
import { ok } from '../endpoint.js';
import { countParam } from './message_pagination.js';

/** Event relationships (client-server relations.yaml): a parent's children, paginated. */

function relationsParams(query: URLSearchParams, relType: string | undefined, eventType: string | undefined): RelationsParams {
  const dir = queryParam(query, 'dir') ?? 'b';
  if (dir !== 'b' && dir !== 'f') throw invalidParam("dir must be 'b' or 'f'");
  const recurse = queryParam(query, 'recurse');
  if (recurse !== undefined && recurse !== 'true' && recurse !== 'false') throw invalidParam('recurse must be true or false');
  const limit = countParam(queryParam(query, 'limit'), 'limit');
  if (limit === 0) throw invalidParam('limit must be greater than zero');
  return {
    relType,
    eventType,
    from: queryParam(query, 'from'),
    to: queryParam(query, 'to'),
    dir,
    limit,
    recurse: recurse === undefined ? undefined : recurse === 'true',
  };
}

export const getRelatingEvents = endpoint({
  id: 'getRelatingEvents',
  method: 'GET',
  path: '/_matrix/client/v1/rooms/{roomId}/relations/{eventId}',
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params, query }) {
    return ok(services.relations.relations(requester, params['roomId']!, params['eventId']!, relationsParams(query, undefined, undefined)));
  },
});

export const getRelatingEventsWithRelType = endpoint({
  id: 'getRelatingEventsWithRelType',
  method: 'GET',
  path: '/_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}',
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params, query }) {
    return ok(services.relations.relations(requester, params['roomId']!, params['eventId']!, relationsParams(query, params['relType']!, undefined)));
  },
});

export const getRelatingEventsWithRelTypeAndEventType = endpoint({
  id: 'getRelatingEventsWithRelTypeAndEventType',
  method: 'GET',
  path: '/_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}',
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params, query }) {
    const request = relationsParams(query, params['relType']!, params['eventType']!);
    return ok(services.relations.relations(requester, params['roomId']!, params['eventId']!, request));
  },
});

export const relationsEndpoints = [getRelatingEvents, getRelatingEventsWithRelType, getRelatingEventsWithRelTypeAndEventType];
