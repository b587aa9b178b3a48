import { isJsonObject } from '../../../core/json.js';
import { serverOfUserId } from '../../user-ids.js';
import type { MembershipContext } from './context.js';

/**
 * Servers that should know a room we are not in, from what we hold of it: the sender of the
 * user's current membership event there (who invited them), whoever sent the stripped state that
 * came with it, and the room ID's server (IDs before v12 name the creating server). Added after
 * the servers a client named, for joins, leaves and knocks.
 */
export function serversThatKnow(ctx: MembershipContext, roomId: string, userId: string): string[] {
  const servers: string[] = [];
  const membership = ctx.storage.memberships.current(roomId, userId);
  const loaded = membership === undefined ? undefined : ctx.rooms.loader.load(membership.eventId);
  if (loaded) {
    const sender = serverOfUserId(loaded.event.sender);
    if (sender !== undefined) servers.push(sender);
    const unsigned = loaded.pdu.unsigned;
    for (const key of ['invite_room_state', 'knock_room_state']) {
      const entries = isJsonObject(unsigned) ? unsigned[key] : undefined;
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        const server = isJsonObject(entry) && typeof entry.sender === 'string' ? serverOfUserId(entry.sender) : undefined;
        if (server !== undefined) servers.push(server);
      }
    }
  }
  const colon = roomId.indexOf(':');
  if (colon > 0) servers.push(roomId.slice(colon + 1));
  return servers;
}
