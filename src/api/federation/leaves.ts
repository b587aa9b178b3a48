import { ok } from '../endpoint.js';
import { AnyObject, endpoint } from '../define.js';

/**
 * Leaving rooms, i.e. rejecting invites (server-server leaving-v1.yaml make_leave,
 * leaving-v2.yaml send_leave): for a user whose server is not in the room.
 */

export const makeLeave = endpoint({
  id: 'makeLeave',
  method: 'GET',
  path: '/_matrix/federation/v1/make_leave/{roomId}/{userId}',
  auth: 'server',
  rateLimit: 'none',
  async handler({ services, params, origin }) {
    return ok(services.federationMembership.resident.make('leave', params['roomId']!, params['userId']!, origin, undefined));
  },
});

export const sendLeaveV2 = endpoint({
  id: 'sendLeaveV2',
  method: 'PUT',
  path: '/_matrix/federation/v2/send_leave/{roomId}/{eventId}',
  auth: 'server',
  rateLimit: 'none',
  body: AnyObject(),
  async handler({ services, params, body, origin }) {
    return ok(await services.federationMembership.resident.sendLeave(params['roomId']!, params['eventId']!, body, origin));
  },
});

export const leavesEndpoints = [makeLeave, sendLeaveV2];
