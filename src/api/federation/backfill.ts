import { invalidParam, missingParam } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { endpoint, queryParam } from '../define.js';

/** GET /backfill/{roomId}?v=...&limit=... (backfill.yaml): history before the `v` events. */
export const backfillRoom = endpoint({
  id: 'backfillRoom',
  method: 'GET',
  path: '/_matrix/federation/v1/backfill/{roomId}',
  auth: 'server',
  rateLimit: 'none',
  async handler({ services, origin, params, query }) {
    const from = query.getAll('v');
    if (from.length === 0) throw missingParam('Missing v');
    const rawLimit = queryParam(query, 'limit');
    if (rawLimit === undefined) throw missingParam('Missing limit');
    if (!/^\d{1,9}$/.test(rawLimit)) throw invalidParam('limit must be a non-negative integer');
    return ok(services.federationEvents.backfill.backfill(origin, params['roomId']!, from, Number(rawLimit)));
  },
});

export const backfillEndpoints = [backfillRoom];
