import { invalidParam, missingParam } from '../../services/errors.js';
import { endpoint, queryParam } from '../define.js';
import { ok } from '../endpoint.js';

export const getEventByTimestamp = endpoint({
  id: 'getEventByTimestamp',
  method: 'GET',
  path: '/_matrix/client/v1/rooms/{roomId}/timestamp_to_event',
  aliases: ['/_matrix/client/unstable/org.matrix.msc3030/rooms/{roomId}/timestamp_to_event'],
  auth: 'user',
  rateLimit: 'general',
  async handler({ services, requester, params, query }) {
    const ts = queryParam(query, 'ts');
    const dir = queryParam(query, 'dir');
    if (ts === undefined) throw missingParam('ts is required');
    if (dir === undefined) throw missingParam('dir is required');
    if (!/^\d{1,16}$/.test(ts)) throw invalidParam('ts must be a timestamp in milliseconds');
    if (dir !== 'f' && dir !== 'b') throw invalidParam("dir must be 'f' or 'b'");
    return ok(services.timeline.eventAt(requester, params['roomId']!, Number(ts), dir));
  },
});

export const roomEventByTimestampEndpoints = [getEventByTimestamp];
