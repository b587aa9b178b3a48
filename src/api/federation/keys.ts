import { Type } from '@sinclair/typebox';
import { invalidParam } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { AnyObject, endpoint, queryParam } from '../define.js';

/**
 * Key exchange (shared/spec/openapi/data/api/server-server/keys_server.yaml and keys_query.yaml):
 * our own signed keys, and the notary queries that relay other servers' keys with our signature.
 * Unauthenticated by design: this is how servers learn the keys that authenticate everything else.
 */

export const getServerKey = endpoint({
  id: 'getServerKey',
  method: 'GET',
  path: '/_matrix/key/v2/server',
  auth: 'none',
  rateLimit: 'none',
  async handler({ services }) {
    return ok(services.federation.ownKeys.response());
  },
});

function minimumValidUntil(query: URLSearchParams): number | undefined {
  const raw = queryParam(query, 'minimum_valid_until_ts');
  if (raw === undefined) return undefined;
  if (!/^\d{1,16}$/.test(raw)) throw invalidParam('minimum_valid_until_ts must be a timestamp');
  return Number(raw);
}

export const perspectivesKeyQuery = endpoint({
  id: 'perspectivesKeyQuery',
  method: 'GET',
  path: '/_matrix/key/v2/query/{serverName}',
  auth: 'none',
  rateLimit: 'general',
  async handler({ services, params, query }) {
    return ok(await services.federation.notary.queryServer(params['serverName']!, minimumValidUntil(query)));
  },
});

export const bulkPerspectivesKeyQuery = endpoint({
  id: 'bulkPerspectivesKeyQuery',
  method: 'POST',
  path: '/_matrix/key/v2/query',
  auth: 'none',
  rateLimit: 'general',
  body: Type.Object({ server_keys: Type.Record(Type.String(), AnyObject()) }),
  async handler({ services, body }) {
    return ok(await services.federation.notary.queryBulk(body.server_keys));
  },
});

export const keysEndpoints = [getServerKey, perspectivesKeyQuery, bulkPerspectivesKeyQuery];
