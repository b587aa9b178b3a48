import type { Pdu } from '../../../core/events/pdu.js';
import type { JsonObject } from '../../../core/json.js';
import { notFound } from '../../errors.js';
import type { RemoteMembershipRequest } from '../../rooms/remote-membership.js';
import type { MembershipContext } from './context.js';
import { serversThatKnow } from './membership-hints.js';
import { candidateServers, runHandshake } from './remote-handshake.js';
import { checkStrippedStateList } from './stripped-state-check.js';

/**
 * Knocking on a room this server is not in ("Knocking upon a room"): make_knock → sign →
 * send_knock. The answer's knock_room_state goes into the knock's `unsigned`, where sync reads
 * it to show the room in the user's knock section.
 */
export class RemoteKnocker {
  constructor(private readonly ctx: MembershipContext) {}

  async knock(request: RemoteMembershipRequest): Promise<{ roomId: string }> {
    const servers = [...request.servers, ...serversThatKnow(this.ctx, request.roomId, request.userId)];
    // Nobody else to ask (e.g. a room ID of ours we do not know): the room does not exist.
    if (candidateServers(this.ctx, servers).length === 0) throw notFound('Unknown room');
    return runHandshake(this.ctx, 'knock', { ...request, servers }, async ({ server, version, signed }) => {
      const response = await this.ctx.federation.client.request(server, {
        method: 'PUT',
        path: `/_matrix/federation/v1/send_knock/${encodeURIComponent(request.roomId)}/${encodeURIComponent(signed.eventId)}`,
        body: signed.pdu as JsonObject,
      });
      const roomState = await checkStrippedStateList(this.ctx, version, request.roomId, response.knock_room_state, false);
      const pdu = { ...signed.pdu, unsigned: { knock_room_state: roomState } } as Pdu;
      this.ctx.rooms.persister.persistOutOfRoomMembership({ pdu, event: signed.event, version });
      return { roomId: request.roomId };
    });
  }
}
