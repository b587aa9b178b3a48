import { Type } from '@sinclair/typebox';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const knockRoom = endpoint({
  id: 'knockRoom',
  method: 'POST',
  path: '/_matrix/client/v3/knock/{roomIdOrAlias}',
  auth: 'user',
  rateLimit: 'joins',
  body: Type.Object({ reason: Type.Optional(Type.String()) }),
  async handler({ services, requester, params, body, query }) {
    const roomId = await services.rooms.membership.knock(requester, params['roomIdOrAlias']!, {
      reason: body.reason,
      servers: [...query.getAll('via'), ...query.getAll('server_name')],
    });
    return ok({ room_id: roomId });
  },
});

export const knockingEndpoints = [knockRoom];
