import { Type } from '@sinclair/typebox';
import { AnyObject, endpoint } from '../define.js';
import { ok } from '../endpoint.js';

/** `via` (v1.12) and the older `server_name`, both repeatable. */
function viaServers(query: URLSearchParams): string[] {
  return [...query.getAll('via'), ...query.getAll('server_name')];
}

const JoinBody = Type.Object({
  reason: Type.Optional(Type.String()),
  third_party_signed: Type.Optional(AnyObject()),
});

export const joinRoomById = endpoint({
  id: 'joinRoomById',
  method: 'POST',
  path: '/_matrix/client/v3/rooms/{roomId}/join',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/join'],
  auth: 'user',
  rateLimit: 'joins',
  body: JoinBody,
  async handler({ services, requester, params, body }) {
    const roomId = await services.rooms.membership.join(requester, params['roomId']!, { reason: body.reason });
    return ok({ room_id: roomId });
  },
});

export const joinRoom = endpoint({
  id: 'joinRoom',
  method: 'POST',
  path: '/_matrix/client/v3/join/{roomIdOrAlias}',
  aliases: ['/_matrix/client/r0/join/{roomIdOrAlias}'],
  auth: 'user',
  rateLimit: 'joins',
  body: JoinBody,
  async handler({ services, requester, params, body, query }) {
    const roomId = await services.rooms.membership.join(requester, params['roomIdOrAlias']!, {
      reason: body.reason,
      servers: viaServers(query),
    });
    return ok({ room_id: roomId });
  },
});

export const joiningEndpoints = [joinRoomById, joinRoom];
