import { invalidParam } from '../../services/errors.js';
import { endpoint, queryParam } from '../define.js';
import { ok } from '../endpoint.js';
import { countParam } from './message_pagination.js';

/** Threads (client-server threads_list.yaml): a room's thread roots, latest activity first. */

export const getThreadRoots = endpoint({
  id: 'getThreadRoots',
  method: 'GET',
  path: '/_matrix/client/v1/rooms/{roomId}/threads',
  auth: 'user',
  rateLimit: 'general',
  async handler({ services, requester, params, query }) {
    const include = queryParam(query, 'include') ?? 'all';
    if (include !== 'all' && include !== 'participated') throw invalidParam("include must be 'all' or 'participated'");
    const limit = countParam(queryParam(query, 'limit'), 'limit');
    if (limit === 0) throw invalidParam('limit must be greater than zero');
    return ok(services.relations.threads(requester, params['roomId']!, { include, from: queryParam(query, 'from'), limit }));
  },
});

export const threadsListEndpoints = [getThreadRoots];
