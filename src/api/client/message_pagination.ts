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
    const roomId = params['roomId']!;
    const request = {
      from: queryParam(query, 'from'),
      to: queryParam(query, 'to'),
      dir,
      limit: countParam(queryParam(query, 'limit'), 'limit'),
      filter: queryParam(query, 'filter'),
    } as const;
    const page = services.timeline.messages(requester, roomId, request);
    // Paginating backwards past the start of what we hold (a room joined over federation): ask
    // the room's other servers for the history before it, then read again.
    if (dir === 'b' && page['end'] === undefined && (await services.federationMembership.backfill.fill(roomId)) > 0) {
      return ok(services.timeline.messages(requester, roomId, request));
    }
    return ok(page);
  },
});

export const messagePaginationEndpoints = [getRoomEvents];
