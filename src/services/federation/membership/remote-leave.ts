import { isJsonObject, type JsonObject } from '../../../core/json.js';
import type { RemoteMembershipRequest } from '../../rooms/remote-membership.js';
import { serverOfUserId } from '../../user-ids.js';
import type { MembershipContext } from './context.js';
import { runHandshake } from './remote-handshake.js';

/**
 * Rejecting an invite or withdrawing a knock in a room this server is not in ("Leaving rooms
 * (rejecting invites)"): make_leave → sign → send_leave v2 through the servers that know the
 * room (the inviter's, the room ID's, the given ones). The leave then becomes the user's
 * membership here. When no server can be reached the invite stays (the client hears 404
 * M_UNKNOWN and may try again); Synapse instead rejects it locally, which we do not yet.
 */
export class RemoteLeaver {
  constructor(private readonly ctx: MembershipContext) {}

  async leave(request: RemoteMembershipRequest): Promise<void> {
    const membership = this.ctx.storage.memberships.current(request.roomId, request.userId);
    const servers = [...request.servers, ...this.serversFor(request.roomId, membership?.eventId)];
    await runHandshake(this.ctx, 'leave', { ...request, servers }, async ({ server, version, signed }) => {
      await this.ctx.federation.client.request(server, {
        method: 'PUT',
        path: `/_matrix/federation/v2/send_leave/${encodeURIComponent(request.roomId)}/${encodeURIComponent(signed.eventId)}`,
        body: signed.pdu as JsonObject,
      });
      this.ctx.rooms.persister.persistOutOfRoomMembership({ pdu: signed.pdu, event: signed.event, version });
    });
  }

  /** Who may know the room: the membership event's sender, and whoever sent its stripped state. */
  private serversFor(roomId: string, membershipEventId: string | undefined): string[] {
    const servers: string[] = [];
    const loaded = membershipEventId === undefined ? undefined : this.ctx.rooms.loader.load(membershipEventId);
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
    // Room IDs before v12 name the server that created the room.
    const colon = roomId.indexOf(':');
    if (colon > 0) servers.push(roomId.slice(colon + 1));
    return servers;
  }
}
