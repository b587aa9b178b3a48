import { ok } from '../endpoint.js';
import { endpoint, queryParam } from '../define.js';

/** Spaces (server-server space_hierarchy.yaml): a space and its children, one level deep. */

export const getSpaceHierarchy = endpoint({
  id: 'getSpaceHierarchy',
  method: 'GET',
  path: '/_matrix/federation/v1/hierarchy/{roomId}',
  auth: 'server',
  rateLimit: 'general',
  async handler({ services, params, query, origin }) {
    const suggestedOnly = queryParam(query, 'suggested_only') === 'true';
    return ok(services.federationMembership.spaces.hierarchy(params['roomId']!, origin, suggestedOnly));
  },
});

export const hierarchyEndpoints = [getSpaceHierarchy];
