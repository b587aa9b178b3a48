import { Type } from '@sinclair/typebox';
import { ok } from '../endpoint.js';
import { AnyJson, AnyObject, endpoint } from '../define.js';

/**
 * Inviting to a room (server-server invites-v2.yaml): another server's user invites one of ours;
 * we countersign. v1 (rooms 1 and 2 only, from servers older than 2019) is not served: senders
 * fall back to it only on a 400/404 from v2.
 */

export const sendInviteV2 = endpoint({
  id: 'sendInviteV2',
  method: 'PUT',
  path: '/_matrix/federation/v2/invite/{roomId}/{eventId}',
  auth: 'server',
  rateLimit: 'none',
  body: Type.Object({
    room_version: Type.String(),
    event: AnyObject(),
    invite_room_state: Type.Optional(Type.Array(AnyJson())),
  }),
  async handler({ services, params, body, origin }) {
    return ok(await services.federationMembership.invites.receive(params['roomId']!, params['eventId']!, body, origin));
  },
});

export const invitesEndpoints = [sendInviteV2];
