import { invalidParam } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { endpoint, queryParam } from '../define.js';

/** Spaces (client-server space_hierarchy.yaml): the tree below a space, depth first, paginated. */

function integerParam(query: URLSearchParams, name: string): number | undefined {
  const text = queryParam(query, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^-?\d{1,9}$/.test(text) || !Number.isSafeInteger(value)) throw invalidParam(`${name} must be an integer`);
  return value;
}

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
        maxDepth: integerParam(query, 'max_depth'),
        limit: integerParam(query, 'limit'),
        from: queryParam(query, 'from'),
      }),
    );
  },
});

export const spaceHierarchyEndpoints = [getSpaceHierarchy];
