import { Type } from '@sinclair/typebox';
import type { JsonObject } from '../../core/json.js';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const getRoomTags = endpoint({
  id: 'getRoomTags',
  method: 'GET',
  path: '/_matrix/client/v3/user/{userId}/rooms/{roomId}/tags',
  aliases: ['/_matrix/client/r0/user/{userId}/rooms/{roomId}/tags'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params }) {
    return ok({ tags: services.accountData.getTags(requester, params['userId']!, params['roomId']!) });
  },
});

export const setRoomTag = endpoint({
  id: 'setRoomTag',
  method: 'PUT',
  path: '/_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}',
  aliases: ['/_matrix/client/r0/user/{userId}/rooms/{roomId}/tags/{tag}'],
  auth: 'user',
  rateLimit: 'general',
  // The spec's Tag: `order` is a number (other keys are kept as the client sent them).
  body: Type.Object({ order: Type.Optional(Type.Number()) }),
  async handler({ services, requester, params, body }) {
    services.accountData.setTag(requester, params['userId']!, params['roomId']!, params['tag']!, body as JsonObject);
    return ok({});
  },
});

export const deleteRoomTag = endpoint({
  id: 'deleteRoomTag',
  method: 'DELETE',
  path: '/_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}',
  aliases: ['/_matrix/client/r0/user/{userId}/rooms/{roomId}/tags/{tag}'],
  auth: 'user',
  rateLimit: 'general',
  async handler({ services, requester, params }) {
    services.accountData.deleteTag(requester, params['userId']!, params['roomId']!, params['tag']!);
    return ok({});
  },
});

export const tagsEndpoints = [getRoomTags, setRoomTag, deleteRoomTag];
