import { Type } from '@sinclair/typebox';
import { AnyJson, AnyObject, endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const createRoom = endpoint({
  id: 'createRoom',
  method: 'POST',
  path: '/_matrix/client/v3/createRoom',
  aliases: ['/_matrix/client/r0/createRoom'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({
    visibility: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('private')])),
    room_alias_name: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    topic: Type.Optional(Type.String()),
    invite: Type.Optional(Type.Array(Type.String())),
    invite_3pid: Type.Optional(Type.Array(AnyJson())),
    room_version: Type.Optional(Type.String()),
    creation_content: Type.Optional(AnyObject()),
    initial_state: Type.Optional(
      Type.Array(Type.Object({ type: Type.String(), state_key: Type.Optional(Type.String()), content: AnyObject() })),
    ),
    preset: Type.Optional(Type.Union([Type.Literal('private_chat'), Type.Literal('public_chat'), Type.Literal('trusted_private_chat')])),
    is_direct: Type.Optional(Type.Boolean()),
    power_level_content_override: Type.Optional(AnyObject()),
  }),
  async handler({ services, requester, body }) {
    return ok({ room_id: await services.rooms.creation.createRoom(requester, body) });
  },
});

export const createRoomEndpoints = [createRoom];
