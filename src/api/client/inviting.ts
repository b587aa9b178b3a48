import { Type } from '@sinclair/typebox';
import { forbidden, missingParam } from '../../services/errors.js';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const inviteUser = endpoint({
  id: 'inviteUser',
  method: 'POST',
  path: '/_matrix/client/v3/rooms/{roomId}/invite',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/invite'],
  auth: 'user',
  rateLimit: 'invites',
  // The same path takes third-party invites (third_party_membership.yaml: id_server, medium, address).
  body: Type.Object({
    user_id: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    medium: Type.Optional(Type.String()),
    address: Type.Optional(Type.String()),
    id_server: Type.Optional(Type.String()),
  }),
  async handler({ services, requester, params, body }) {
    if (body.user_id === undefined) {
      if (body.medium !== undefined || body.address !== undefined) throw forbidden('Third-party invites are not supported');
      throw missingParam("Missing 'user_id'");
    }
    await services.rooms.membership.invite(requester, params['roomId']!, body.user_id, body.reason);
    return ok({});
  },
});

export const invitingEndpoints = [inviteUser];
