import { ok } from '../endpoint.js';
import { AnyObject, endpoint, queryParam } from '../define.js';

/**
 * Joining rooms (server-server joins-v1.yaml make_join, joins-v2.yaml send_join): a server whose
 * user wants in asks us, a server in the room, for a template, then sends the signed join back
 * and receives the room's state. Logic: services/federation/membership/resident-handshakes.ts.
 */

export const makeJoin = endpoint({
  id: 'makeJoin',
  method: 'GET',
  path: '/_matrix/federation/v1/make_join/{roomId}/{userId}',
  auth: 'server',
  rateLimit: 'none',
  async handler({ services, params, query, origin }) {
    return ok(services.federationMembership.resident.make('join', params['roomId']!, params['userId']!, origin, query.getAll('ver')));
  },
});

export const sendJoinV2 = endpoint({
  id: 'sendJoinV2',
  method: 'PUT',
  path: '/_matrix/federation/v2/send_join/{roomId}/{eventId}',
  auth: 'server',
  rateLimit: 'none',
  body: AnyObject(),
  async handler({ services, params, query, body, origin }) {
    const omitMembers = queryParam(query, 'omit_members') === 'true';
    return ok(await services.federationMembership.resident.sendJoin(params['roomId']!, params['eventId']!, body, origin, omitMembers));
  },
});

export const joinsEndpoints = [makeJoin, sendJoinV2];
