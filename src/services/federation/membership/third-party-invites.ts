import { checkAuthRules } from '../../../core/auth/index.js';
import { toRoomEvent } from '../../../core/events/pdu.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../../core/json.js';
import { forbidden, invalidParam, notFound } from '../../errors.js';
import { serverOfUserId } from '../../user-ids.js';
import type { MembershipContext } from './context.js';
import { describe } from './remote-errors.js';
import type { RemoteInviter } from './remote-invite.js';

/**
 * Third-party invites once the invitee has bound the address ("Third-party invites"):
 *
 * - PUT /3pid/onbind: the identity server tells the invitee's server (us) which rooms invited
 *   the address. For each, the server in the room is asked to turn the invite into a real one
 *   (exchange_third_party_invite); when we are in the room ourselves we do it here.
 * - PUT /exchange_third_party_invite/{roomId}: we are in the room; the partial member event
 *   names the token of an m.room.third_party_invite and carries the identity server's signature
 *   over {mxid, token}. We fill in the display name, build the invite (the auth rules check the
 *   signature against the room's public keys and the sender against the 3pid invite's sender),
 *   have the invitee's server countersign it, and persist it.
 */
export class ThirdPartyInvites {
  constructor(
    private readonly ctx: MembershipContext,
    private readonly inviter: RemoteInviter,
  ) {}

  /** PUT /3pid/onbind. */
  async onBind(body: { mxid: string; invites: readonly JsonValue[] }): Promise<JsonObject> {
    for (const invite of body.invites) {
      if (!isJsonObject(invite)) continue;
      const { room_id: roomId, sender, signed } = invite;
      const mxid = typeof invite.mxid === 'string' ? invite.mxid : body.mxid;
      if (typeof roomId !== 'string' || typeof sender !== 'string' || !isJsonObject(signed)) continue;
      if (serverOfUserId(mxid) !== this.ctx.serverName) continue;
      const partial: JsonObject = {
        type: 'm.room.member',
        room_id: roomId,
        sender,
        state_key: mxid,
        content: { membership: 'invite', third_party_invite: { signed } },
      };
      try {
        if (this.ctx.rooms.membership.participating(roomId)) await this.exchange(roomId, partial, this.ctx.serverName);
        else await this.forward(roomId, sender, partial);
      } catch (err) {
        this.ctx.log.warn({ roomId, mxid, err: describe(err) }, 'could not exchange a third-party invite');
      }
    }
    return {};
  }

  /** PUT /exchange_third_party_invite/{roomId}. */
  async exchange(roomId: string, partial: JsonObject, origin: string): Promise<JsonObject> {
    const { rooms } = this.ctx;
    const version = rooms.loader.versionOf(roomId);
    if (!version || !rooms.membership.participating(roomId)) throw notFound(`This server is not in room ${roomId}`);
    const content = isJsonObject(partial.content) ? partial.content : undefined;
    const thirdParty = content && isJsonObject(content.third_party_invite) ? content.third_party_invite : undefined;
    const signed = thirdParty && isJsonObject(thirdParty.signed) ? thirdParty.signed : undefined;
    const { sender, state_key: invitee } = partial;
    if (partial.type !== 'm.room.member' || content?.membership !== 'invite') throw invalidParam('Not an invite');
    if (partial.room_id !== roomId) throw invalidParam('room_id does not match the path');
    if (typeof sender !== 'string' || typeof invitee !== 'string') throw invalidParam('sender and state_key are required');
    if (serverOfUserId(invitee) !== origin) throw invalidParam('The invitee is not a user of the requesting server');
    if (!signed || signed.mxid !== invitee || typeof signed.token !== 'string') throw invalidParam('third_party_invite.signed must name the invitee and a token');

    const lookup = rooms.state.currentLookup(roomId);
    const pending = lookup('m.room.third_party_invite', signed.token);
    if (!pending) throw forbidden('No third-party invite with this token in the room');
    const displayName = typeof pending.content.display_name === 'string' ? pending.content.display_name : invitee;
    const built = rooms.creator.buildDetached({
      template: {
        type: 'm.room.member',
        state_key: invitee,
        sender,
        content: { membership: 'invite', third_party_invite: { display_name: displayName, signed } },
        room_id: roomId,
      },
    });
    const verdict = checkAuthRules(version, built.event, lookup);
    if (!verdict.allowed) throw forbidden(`The third-party invite is not valid: ${verdict.reason}`);

    if (origin === this.ctx.serverName) {
      // Our own user: no one else has to sign.
      rooms.persister.persist({ pdu: built.pdu, event: built.event, version, local: { deviceId: null, txnId: null } });
      return {};
    }
    const countersigned = await this.inviter.invite(roomId, version.id, built.pdu);
    const outcome = rooms.persister.persist({ pdu: countersigned, event: toRoomEvent(countersigned, version), version, local: { deviceId: null, txnId: null } });
    if (outcome.status === 'rejected' || outcome.status === 'soft_failed') throw forbidden(outcome.rejectedReason ?? 'The invite is not allowed');
    return {};
  }

  /** Asks the servers that should be in the room (the inviter's, the room ID's) to exchange it. */
  private async forward(roomId: string, sender: string, partial: JsonObject): Promise<void> {
    const servers = new Set<string>();
    const senderServer = serverOfUserId(sender);
    if (senderServer !== undefined) servers.add(senderServer);
    const colon = roomId.indexOf(':');
    if (colon > 0) servers.add(roomId.slice(colon + 1));
    servers.delete(this.ctx.serverName);
    let lastError: unknown = new Error('no server to ask');
    for (const server of servers) {
      try {
        await this.ctx.federation.client.request(server, {
          method: 'PUT',
          path: `/_matrix/federation/v1/exchange_third_party_invite/${encodeURIComponent(roomId)}`,
          body: partial,
        });
        return;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }
}
