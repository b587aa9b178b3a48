import { Type, type Static } from '@sinclair/typebox';
import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

/**
 * The spec's Filter (definitions/sync_filter.yaml), checked on upload so /sync can trust stored
 * filters. Unknown keys are allowed (the spec may add some); known ones must have their types.
 */
const Strings = Type.Array(Type.String());
const EventFilterFields = {
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  not_senders: Type.Optional(Strings),
  not_types: Type.Optional(Strings),
  senders: Type.Optional(Strings),
  types: Type.Optional(Strings),
};
export const EventFilter = Type.Object(EventFilterFields);
export const RoomEventFilter = Type.Object({
  ...EventFilterFields,
  not_rooms: Type.Optional(Strings),
  rooms: Type.Optional(Strings),
  contains_url: Type.Optional(Type.Boolean()),
  include_redundant_members: Type.Optional(Type.Boolean()),
  lazy_load_members: Type.Optional(Type.Boolean()),
  unread_thread_notifications: Type.Optional(Type.Boolean()),
});
export const SyncFilter = Type.Object({
  event_fields: Type.Optional(Strings),
  event_format: Type.Optional(Type.Union([Type.Literal('client'), Type.Literal('federation')])),
  presence: Type.Optional(EventFilter),
  account_data: Type.Optional(EventFilter),
  room: Type.Optional(
    Type.Object({
      not_rooms: Type.Optional(Strings),
      rooms: Type.Optional(Strings),
      ephemeral: Type.Optional(RoomEventFilter),
      include_leave: Type.Optional(Type.Boolean()),
      state: Type.Optional(RoomEventFilter),
      timeline: Type.Optional(RoomEventFilter),
      account_data: Type.Optional(RoomEventFilter),
    }),
  ),
});
export type SyncFilter = Static<typeof SyncFilter>;

export const defineFilter = endpoint({
  id: 'defineFilter',
  method: 'POST',
  path: '/_matrix/client/v3/user/{userId}/filter',
  aliases: ['/_matrix/client/r0/user/{userId}/filter'],
  auth: 'user',
  rateLimit: 'general',
  body: SyncFilter,
  async handler({ services, requester, params, body }) {
    return ok({ filter_id: services.filters.define(requester, params['userId']!, body) });
  },
});

export const getFilter = endpoint({
  id: 'getFilter',
  method: 'GET',
  path: '/_matrix/client/v3/user/{userId}/filter/{filterId}',
  aliases: ['/_matrix/client/r0/user/{userId}/filter/{filterId}'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params }) {
    return ok(services.filters.get(requester, params['userId']!, params['filterId']!));
  },
});

export const filterEndpoints = [defineFilter, getFilter];
