import { invalidParam, missingParam } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { endpoint, queryParam } from '../define.js';

/** GET /timestamp_to_event/{roomId}?ts&dir (events.yaml): the event closest to a time. */
export const getEventByTimestamp = endpoint({
  id: 'getEventByTimestamp',
  method: 'GET',
  path: '/_matrix/federation/v1/timestamp_to_event/{roomId}',
  auth: 'server',
  rateLimit: 'none',
  async handler({ services, origin, params, query }) {
    const ts = queryParam(query, 'ts');
    const dir = queryParam(query, 'dir');
    if (ts === undefined) throw missingParam('Missing ts');
    if (dir === undefined) throw missingParam('Missing dir');
    if (!/^\d{1,16}$/.test(ts)) throw invalidParam('ts must be a timestamp');
    if (dir !== 'f' && dir !== 'b') throw invalidParam("dir must be 'f' or 'b'");
    return ok(services.federationEvents.reads.timestampToEvent(origin, params['roomId']!, Number(ts), dir));
  },
});

export const timestampEndpoints = [getEventByTimestamp];
