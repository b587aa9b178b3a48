import { missingParam } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { AnyObject, endpoint } from '../define.js';

/** Knocking upon a room (server-server knocks.yaml): make_knock and send_knock, room v7+. */

export const makeKnock = endpoint({
  id: 'makeKnock',
  method: 'GET',
  path: '/_matrix/federation/v1/make_knock/{roomId}/{userId}',
  auth: 'server',
  rateLimit: 'none',
  async handler({ services, params, query, origin }) {
    const versions = query.getAll('ver');
    // Unlike make_join, `ver` is required here (no room version before 7 knows knocking).
    if (versions.length === 0) throw missingParam('ver is required');
    return ok(services.federationMembership.resident.make('knock', params['roomId']!, params['userId']!, origin, versions));
  },
});

export const sendKnock = endpoint({
  id: 'sendKnock',
  method: 'PUT',
  path: '/_matrix/federation/v1/send_knock/{roomId}/{eventId}',
  auth: 'server',
  rateLimit: 'none',
  body: AnyObject(),
  async handler({ services, params, body, origin }) {
    return ok(await services.federationMembership.resident.sendKnock(params['roomId']!, params['eventId']!, body, origin));
  },
});

export const knocksEndpoints = [makeKnock, sendKnock];
