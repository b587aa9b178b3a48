import type { JsonObject } from '../../../core/json.js';
import type { RemoteMembershipRequest } from '../../rooms/remote-membership.js';
import type { MembershipContext } from './context.js';
import { rejectLocally } from './local-reject.js';
import { serversThatKnow } from './membership-hints.js';
import { describe } from './remote-errors.js';
import { runHandshake } from './remote-handshake.js';

/**
 * Rejecting an invite or withdrawing a knock in a room this server is not in ("Leaving rooms
 * (rejecting invites)"): make_leave → sign → send_leave v2 through the servers that know the
 * room (the inviter's, the room ID's, the given ones). The leave then becomes the user's
 * membership here. When none of them takes it (unreachable, or refusing), the invite is
 * rejected locally instead, as Synapse does (local-reject.ts): the user asked to be rid of it,
 * and a server that is gone must not pin it to their account.
 */
export class RemoteLeaver {
  constructor(private readonly ctx: MembershipContext) {}

  async leave(request: RemoteMembershipRequest): Promise<void> {
    const servers = [...request.servers, ...serversThatKnow(this.ctx, request.roomId, request.userId)];
    try {
      await runHandshake(this.ctx, 'leave', { ...request, servers }, async ({ server, version, signed }) => {
        await this.ctx.federation.client.request(server, {
          method: 'PUT',
          path: `/_matrix/federation/v2/send_leave/${encodeURIComponent(request.roomId)}/${encodeURIComponent(signed.eventId)}`,
          body: signed.pdu as JsonObject,
        });
        this.ctx.rooms.persister.persistOutOfRoomMembership({ pdu: signed.pdu, event: signed.event, version });
      });
    } catch (err) {
      if (!rejectLocally(this.ctx, request)) throw err;
      this.ctx.log.info({ roomId: request.roomId, userId: request.userId, err: describe(err) }, 'no server of the room took the leave; rejected locally');
    }
  }
}
