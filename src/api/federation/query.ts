import { serverOfUserId } from '../../services/user-ids.js';
import { invalidParam, missingParam } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { endpoint, queryParam } from '../define.js';

/**
 * Federation queries (shared/spec/openapi/data/api/server-server/query.yaml). Profile look-ups
 * need nothing of rooms, so they are served now; the room directory query comes with aliases.
 */

export const queryProfile = endpoint({
  id: 'queryProfile',
  method: 'GET',
  path: '/_matrix/federation/v1/query/profile',
  auth: 'server',
  rateLimit: 'general',
  async handler({ services, query }) {
    const userId = queryParam(query, 'user_id');
    if (userId === undefined) throw missingParam('Missing user_id');
    if (serverOfUserId(userId) !== services.config.serverName) throw invalidParam('user_id is not a user of this server');
    const field = queryParam(query, 'field');
    const profile = services.profiles.get(userId);
    if (field === undefined) return ok(profile);
    const value = profile[field];
    return ok(value === undefined ? {} : { [field]: value });
  },
});

export const queryEndpoints = [queryProfile];
