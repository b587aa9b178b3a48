import { invalidParam } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

/** Room previews (client-server room_summary.yaml, Matrix 1.15). */

export const getRoomSummary = endpoint({
  id: 'getRoomSummary',
  method: 'GET',
  path: '/_matrix/client/v1/room_summary/{roomIdOrAlias}',
  aliases: ['/_matrix/client/unstable/im.nheko.summary/rooms/{roomIdOrAlias}/summary'],
  // The spec lets servers answer without a token for public and world-readable rooms.
  auth: 'optional',
  rateLimit: 'general',
  async handler({ services, requester, params, query }) {
    const target = params['roomIdOrAlias']!;
    if (!target.startsWith('!') && !target.startsWith('#')) throw invalidParam('Expected a room ID or a room alias');
    const via = query.getAll('via');
    if (via.length > 20) throw invalidParam('Too many via servers');
    return ok(await services.federationMembership.roomSummary.summary(requester?.userId, target, via));
  },
});

export const roomSummaryEndpoints = [getRoomSummary];
