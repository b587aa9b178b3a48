import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';
import { PublicRoomsQueryBody, publicRoomsPaging } from '../public-rooms-request.js';

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
    return ok(services.rooms.directory.publicRooms(publicRoomsPaging(query)));
  },
});

export const queryPublicRooms = endpoint({
  id: 'queryPublicRooms',
  method: 'POST',
  path: '/_matrix/federation/v1/publicRooms',
  auth: 'server',
  rateLimit: 'none',
  body: PublicRoomsQueryBody,
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
