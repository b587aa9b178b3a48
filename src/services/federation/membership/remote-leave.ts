import type { JsonObject } from '../../../core/json.js';
import type { RemoteMembershipRequest } from '../../rooms/remote-membership.js';
import type { MembershipContext } from './context.js';
import { serversThatKnow } from './membership-hints.js';
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
    const servers = [...request.servers, ...serversThatKnow(this.ctx, request.roomId, request.userId)];
    await runHandshake(this.ctx, 'leave', { ...request, servers }, async ({ server, version, signed }) => {
      await this.ctx.federation.client.request(server, {
        method: 'PUT',
        path: `/_matrix/federation/v2/send_leave/${encodeURIComponent(request.roomId)}/${encodeURIComponent(signed.eventId)}`,
        body: signed.pdu as JsonObject,
      });
      this.ctx.rooms.persister.persistOutOfRoomMembership({ pdu: signed.pdu, event: signed.event, version });
    });
  }
}
