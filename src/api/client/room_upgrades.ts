import { Type } from '@sinclair/typebox';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const upgradeRoom = endpoint({
  id: 'upgradeRoom',
  method: 'POST',
  path: '/_matrix/client/v3/rooms/{roomId}/upgrade',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/upgrade'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ new_version: Type.String(), additional_creators: Type.Optional(Type.Array(Type.String())) }),
  async handler({ services, requester, params, body }) {
    const replacement = services.rooms.upgrades.upgrade(requester, params['roomId']!, body.new_version, body.additional_creators);
    return ok({ replacement_room: replacement });
  },
});

export const roomUpgradesEndpoints = [upgradeRoom];
