import { Type } from '@sinclair/typebox';
import { invalidParam } from '../services/errors.js';
import { queryParam } from './define.js';

/**
 * The publicRooms request as both APIs spell it (client-server list_public_rooms.yaml and
 * server-server public_rooms.yaml share it), declared once.
 */
export const PublicRoomsQueryBody = Type.Object({
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
});

/** The GET form's paging parameters. */
export function publicRoomsPaging(query: URLSearchParams): { limit: number | undefined; since: string | undefined } {
  const limitText = queryParam(query, 'limit');
  const limit = limitText === undefined ? undefined : Number(limitText);
  if (limit !== undefined && !Number.isSafeInteger(limit)) throw invalidParam('limit must be an integer');
  return { limit, since: queryParam(query, 'since') };
}
