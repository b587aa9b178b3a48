import { Type } from '@sinclair/typebox';
import { invalidParam } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { endpoint, queryParam } from '../define.js';

/**
 * Our published room directory for other servers (server-server public_rooms.yaml), the same
 * listing our own clients get. Lattice bridges no third-party networks, so include_all_networks
 * and third_party_instance_id change nothing.
 */

export const getPublicRooms = endpoint({
  id: 'getPublicRooms',
  method: 'GET',
  path: '/_matrix/federation/v1/publicRooms',
  auth: 'server',
  rateLimit: 'none',
  async handler({ services, query }) {
    const limitText = queryParam(query, 'limit');
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && !Number.isSafeInteger(limit)) throw invalidParam('limit must be an integer');
    return ok(services.rooms.directory.publicRooms({ limit, since: queryParam(query, 'since') }));
  },
});

export const queryPublicRooms = endpoint({
  id: 'queryPublicRooms',
  method: 'POST',
  path: '/_matrix/federation/v1/publicRooms',
  auth: 'server',
  rateLimit: 'none',
  body: Type.Object({
    limit: Type.Optional(Type.Integer()),
    since: Type.Optional(Type.String()),
    filter: Type.Optional(
      Type.Object({
        generic_search_term: Type.Optional(Type.String()),
        room_types: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Null()]))),
      }),
    ),
    include_all_networks: Type.Optional(Type.Boolean()),
    third_party_instance_id: Type.Optional(Type.String()),
  }),
  async handler({ services, body }) {
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

export const publicRoomsEndpoints = [getPublicRooms, queryPublicRooms];
