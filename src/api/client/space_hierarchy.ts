import { invalidParam } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { endpoint, queryParam } from '../define.js';
import { countParam } from './message_pagination.js';

/** Spaces (client-server space_hierarchy.yaml): the tree below a space, depth first, paginated. */

export const getSpaceHierarchy = endpoint({
  id: 'getSpaceHierarchy',
  method: 'GET',
  path: '/_matrix/client/v1/rooms/{roomId}/hierarchy',
  aliases: ['/_matrix/client/unstable/org.matrix.msc2946/rooms/{roomId}/hierarchy'],
  auth: 'user',
  rateLimit: 'general',
  async handler({ services, requester, params, query }) {
    const suggested = queryParam(query, 'suggested_only');
    if (suggested !== undefined && suggested !== 'true' && suggested !== 'false') throw invalidParam('suggested_only must be true or false');
    return ok(
      await services.federationMembership.clientSpaces.walk({
        userId: requester.userId,
        roomId: params['roomId']!,
        suggestedOnly: suggested === 'true',
        maxDepth: countParam(queryParam(query, 'max_depth'), 'max_depth'),
        limit: countParam(queryParam(query, 'limit'), 'limit'),
        from: queryParam(query, 'from'),
      }),
    );
  },
});

export const spaceHierarchyEndpoints = [getSpaceHierarchy];
