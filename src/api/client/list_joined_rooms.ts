import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const getJoinedRooms = endpoint({
  id: 'getJoinedRooms',
  method: 'GET',
  path: '/_matrix/client/v3/joined_rooms',
  aliases: ['/_matrix/client/r0/joined_rooms'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester }) {
    return ok({ joined_rooms: services.rooms.reads.joinedRooms(requester.userId) });
  },
});

export const listJoinedRoomsEndpoints = [getJoinedRooms];
