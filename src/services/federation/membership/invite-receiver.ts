import { computeEventId } from '../../../core/events/event-id.js';
import { PduFormatError, toRoomEvent, validatePdu, type Pdu } from '../../../core/events/pdu.js';
import type { JsonObject, JsonValue } from '../../../core/json.js';
import { roomVersion, type RoomVersion } from '../../../core/room-versions.js';
import { ErrCode, MatrixError, forbidden, invalidParam } from '../../errors.js';
import { MissingEventsError } from '../../rooms/event-persister.js';
import { serverOfUserId } from '../../user-ids.js';
import type { MembershipContext } from './context.js';
import { federationPdu } from './federation-pdu.js';
import { checkOnePdu, countersign, PduCheckError } from './pdu-checks.js';
import { checkStrippedStateList } from './stripped-state-check.js';

/**
 * PUT /_matrix/federation/v2/invite: another server invites one of our users. We check that it
 * is what it claims (an invite, for our user, from a user of the requesting server, properly
 * signed: "servers MUST apply certain validation to ensure they don't accidentally sign non-invite
 * events"), countersign it, and keep it so the user's next sync shows the invite with the room's
 * stripped state (invite_room_state, kept in the event's `unsigned` where sync reads it).
 */
export class InviteReceiver {
  constructor(private readonly ctx: MembershipContext) {}

  async receive(roomId: string, eventId: string, body: { room_version: string; event: JsonObject; invite_room_state?: JsonValue[] | undefined }, origin: string): Promise<JsonObject> {
    const version = roomVersion(body.room_version);
    if (!version) {
      throw new MatrixError(400, ErrCode.INCOMPATIBLE_ROOM_VERSION, `Room version ${body.room_version} is not supported`, {
        room_version: body.room_version,
      });
    }
    let pdu: Pdu;
    try {
      pdu = validatePdu(body.event, version);
    } catch (err) {
      if (err instanceof PduFormatError) throw invalidParam(`Invalid invite event: ${err.message}`);
      throw err;
    }
    const invitee = pdu.state_key;
    if (computeEventId(pdu, version) !== eventId) throw invalidParam('The event ID does not match the event');
    if (pdu.room_id !== roomId) throw invalidParam('The event is for another room');
    if (pdu.type !== 'm.room.member' || pdu.content.membership !== 'invite') throw invalidParam('The event is not an invite');
    if (serverOfUserId(pdu.sender) !== origin) throw invalidParam('The sender is not a user of the requesting server');
    if (invitee === undefined || serverOfUserId(invitee) !== this.ctx.serverName) throw invalidParam('The invitee is not a user of this server');
    if (!this.ctx.storage.accounts.get(invitee)) throw forbidden(`Unknown user ${invitee}`);

    let checked;
    try {
      checked = await checkOnePdu(this.ctx.verifier, version, pdu);
    } catch (err) {
      if (err instanceof PduCheckError) throw invalidParam(`The invite failed the signature checks: ${err.message}`);
      throw err;
    }
    const roomState = await checkStrippedStateList(this.ctx, version, roomId, body.invite_room_state, version.roomIdFromCreateEvent);
    const signed = countersign(checked.pdu, version, this.ctx.serverName, this.ctx.signingKey);
    this.keep(signed, version, roomState);
    return { event: federationPdu(signed) };
  }

  /**
   * A room we are not in: the invite becomes the invitee's membership (an outlier carrying the
   * stripped state). A room we are in: it goes into the DAG like any event, when its prev events
   * are here (otherwise the inviting server's transaction brings it).
   */
  private keep(signed: Pdu, version: RoomVersion, roomState: JsonObject[]): void {
    const { rooms } = this.ctx;
    const event = toRoomEvent(signed, version);
    if (rooms.membership.participating(signed.room_id!)) {
      try {
        rooms.persister.persist({ pdu: signed, event, version });
      } catch (err) {
        if (!(err instanceof MissingEventsError)) throw err;
      }
      return;
    }
    const withState = { ...signed, unsigned: { invite_room_state: roomState } } as Pdu;
    rooms.persister.persistOutOfRoomMembership({ pdu: withState, event, version });
  }
}
