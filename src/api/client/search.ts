import { Type } from '@sinclair/typebox';
import type { RoomEventsCriteria } from '../../services/search/search-service.js';
import { AnyObject, endpoint, queryParam } from '../define.js';
import { ok } from '../endpoint.js';

/** Server-side search (client-server search.yaml). */

const SearchKey = Type.Union([Type.Literal('content.body'), Type.Literal('content.name'), Type.Literal('content.topic')]);

const RoomEvents = Type.Object({
  search_term: Type.String(),
  keys: Type.Optional(Type.Array(SearchKey, { maxItems: 3 })),
  filter: Type.Optional(AnyObject()),
  order_by: Type.Optional(Type.Union([Type.Literal('recent'), Type.Literal('rank')])),
  event_context: Type.Optional(
    Type.Object({
      before_limit: Type.Optional(Type.Integer({ minimum: 0 })),
      after_limit: Type.Optional(Type.Integer({ minimum: 0 })),
      include_profile: Type.Optional(Type.Boolean()),
    }),
  ),
  include_state: Type.Optional(Type.Boolean()),
  groupings: Type.Optional(
    Type.Object({
      group_by: Type.Optional(Type.Array(Type.Object({ key: Type.Union([Type.Literal('room_id'), Type.Literal('sender')]) }), { maxItems: 2 })),
    }),
  ),
});

export const search = endpoint({
  id: 'search',
  method: 'POST',
  path: '/_matrix/client/v3/search',
  aliases: ['/_matrix/client/r0/search'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({
    search_categories: Type.Object({ room_events: Type.Optional(RoomEvents) }),
  }),
  async handler({ services, requester, query, body }) {
    const room = body.search_categories.room_events;
    const criteria: RoomEventsCriteria | undefined = room && {
      searchTerm: room.search_term,
      keys: room.keys,
      filter: room.filter,
      orderBy: room.order_by,
      eventContext: room.event_context && {
        beforeLimit: room.event_context.before_limit,
        afterLimit: room.event_context.after_limit,
        includeProfile: room.event_context.include_profile,
      },
      includeState: room.include_state === true,
      groupBy: room.groupings?.group_by?.map((g) => g.key) ?? [],
    };
    return ok(services.search.search(requester, criteria, queryParam(query, 'next_batch')));
  },
});

export const searchEndpoints = [search];
