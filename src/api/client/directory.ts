import { Type } from '@sinclair/typebox';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const setRoomAlias = endpoint({
  id: 'setRoomAlias',
  method: 'PUT',
  path: '/_matrix/client/v3/directory/room/{roomAlias}',
  aliases: ['/_matrix/client/r0/directory/room/{roomAlias}'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ room_id: Type.String() }),
  async handler({ services, requester, params, body }) {
    services.rooms.aliases.create(requester, params['roomAlias']!, body.room_id);
    return ok({});
  },
});

export const getRoomIdByAlias = endpoint({
  id: 'getRoomIdByAlias',
  method: 'GET',
  path: '/_matrix/client/v3/directory/room/{roomAlias}',
  aliases: ['/_matrix/client/r0/directory/room/{roomAlias}'],
  auth: 'none',
  rateLimit: 'general',
  async handler({ services, params }) {
    const { roomId, servers } = await services.rooms.aliases.resolve(params['roomAlias']!);
    return ok({ room_id: roomId, servers });
  },
});

export const deleteRoomAlias = endpoint({
  id: 'deleteRoomAlias',
  method: 'DELETE',
  path: '/_matrix/client/v3/directory/room/{roomAlias}',
  aliases: ['/_matrix/client/r0/directory/room/{roomAlias}'],
  auth: 'user',
  rateLimit: 'general',
  async handler({ services, requester, params }) {
    const alias = params['roomAlias']!;
    const roomId = services.rooms.aliases.delete(requester, alias);
    services.rooms.messaging.removeFromCanonicalAlias(requester, roomId, alias);
    return ok({});
  },
});

export const getLocalAliases = endpoint({
  id: 'getLocalAliases',
  method: 'GET',
  path: '/_matrix/client/v3/rooms/{roomId}/aliases',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/aliases'],
  auth: 'user',
  rateLimit: 'general',
  async handler({ services, requester, params }) {
    return ok({ aliases: services.rooms.aliases.ofRoom(requester, params['roomId']!) });
  },
});

export const directoryEndpoints = [setRoomAlias, getRoomIdByAlias, deleteRoomAlias, getLocalAliases];
