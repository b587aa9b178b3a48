import { Type } from '@sinclair/typebox';
import type { Services } from '../../services/services.js';
import { endpoint, queryParam } from '../define.js';
import { PublicRoomsQueryBody, publicRoomsPaging } from '../public-rooms-request.js';
import { ok } from '../endpoint.js';

/** A `server` other than ours: its directory is fetched over federation (publicRooms). */
function remoteServer(services: Services, server: string | undefined): string | undefined {
  return server !== undefined && server !== services.config.serverName ? server : undefined;
}

export const getRoomVisibilityOnDirectory = endpoint({
  id: 'getRoomVisibilityOnDirectory',
  method: 'GET',
  path: '/_matrix/client/v3/directory/list/room/{roomId}',
  aliases: ['/_matrix/client/r0/directory/list/room/{roomId}'],
  auth: 'none',
  rateLimit: 'general',
  async handler({ services, params }) {
    return ok({ visibility: services.rooms.directory.visibility(params['roomId']!) });
  },
});

export const setRoomVisibilityOnDirectory = endpoint({
  id: 'setRoomVisibilityOnDirectory',
  method: 'PUT',
  path: '/_matrix/client/v3/directory/list/room/{roomId}',
  aliases: ['/_matrix/client/r0/directory/list/room/{roomId}'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ visibility: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('private')])) }),
  async handler({ services, requester, params, body }) {
    // The spec's default for a missing visibility is "public".
    services.rooms.directory.setVisibility(requester, params['roomId']!, body.visibility ?? 'public');
    return ok({});
  },
});

export const getPublicRooms = endpoint({
  id: 'getPublicRooms',
  method: 'GET',
  path: '/_matrix/client/v3/publicRooms',
  aliases: ['/_matrix/client/r0/publicRooms'],
  auth: 'optional',
  rateLimit: 'general',
  async handler({ services, query }) {
    const { limit, since } = publicRoomsPaging(query);
    const remote = remoteServer(services, queryParam(query, 'server'));
    if (remote !== undefined) return ok(await services.federationMembership.queries.publicRooms(remote, { limit, since }));
    return ok(services.rooms.directory.publicRooms({ limit, since }));
  },
});

export const queryPublicRooms = endpoint({
  id: 'queryPublicRooms',
  method: 'POST',
  path: '/_matrix/client/v3/publicRooms',
  aliases: ['/_matrix/client/r0/publicRooms'],
  auth: 'user',
  rateLimit: 'general',
  body: PublicRoomsQueryBody,
  async handler({ services, query, body }) {
    const remote = remoteServer(services, queryParam(query, 'server'));
    if (remote !== undefined) {
      return ok(
        await services.federationMembership.queries.publicRooms(remote, {
          limit: body.limit,
          since: body.since,
          filter: body.filter,
          includeAllNetworks: body.include_all_networks,
          thirdPartyInstanceId: body.third_party_instance_id,
        }),
      );
    }
    return ok(
      services.rooms.directory.publicRooms({
        limit: body.limit,
        since: body.since,
        genericSearchTerm: body.filter?.generic_search_term,
        roomTypes: body.filter?.room_types,
      }),
    );
  },
});

export const listPublicRoomsEndpoints = [
  getRoomVisibilityOnDirectory,
  setRoomVisibilityOnDirectory,
  getPublicRooms,
  queryPublicRooms,
];
