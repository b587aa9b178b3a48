import { invalidParam, missingParam } from '../../services/errors.js';
import { endpoint, queryParam } from '../define.js';
import { ok } from '../endpoint.js';

/** A non-negative integer query parameter, or undefined when absent. */
export function countParam(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw invalidParam(`${name} must be a non-negative integer`);
  return Number(value);
}

export const getRoomEvents = endpoint({
  id: 'getRoomEvents',
  method: 'GET',
  path: '/_matrix/client/v3/rooms/{roomId}/messages',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/messages'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params, query }) {
    const dir = queryParam(query, 'dir');
    if (dir === undefined) throw missingParam('dir is required');
    if (dir !== 'b' && dir !== 'f') throw invalidParam("dir must be 'b' or 'f'");
    return ok(
      services.timeline.messages(requester, params['roomId']!, {
        from: queryParam(query, 'from'),
        to: queryParam(query, 'to'),
        dir,
        limit: countParam(queryParam(query, 'limit'), 'limit'),
        filter: queryParam(query, 'filter'),
      }),
    );
  },
});

export const messagePaginationEndpoints = [getRoomEvents];
