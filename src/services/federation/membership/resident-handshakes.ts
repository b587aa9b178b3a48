import { checkAuthRules } from '../../../core/auth/index.js';
import { computeEventId } from '../../../core/events/event-id.js';
import { PduFormatError, validatePdu, type Pdu } from '../../../core/events/pdu.js';
import type { JsonObject } from '../../../core/json.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { ErrCode, MatrixError, forbidden, invalidParam, notFound } from '../../errors.js';
import { MissingEventsError, type PersistOutcome } from '../../rooms/event-persister.js';
import { serverOfUserId } from '../../user-ids.js';
import type { MembershipContext } from './context.js';
import { templateOf, type HandshakeMembership } from './event-template.js';
import { federationPdu } from './federation-pdu.js';
import { checkOnePdu, countersign, PduCheckError } from './pdu-checks.js';
import { prejoinStatePdus } from './prejoin-state.js';
import { authorisingUser } from './restricted-join.js';
import { sendJoinResponse } from './send-join-response.js';

/**
 * The resident server's half of the membership handshakes ("Joining rooms", "Leaving rooms",
 * "Knocking upon a room"): make_* answers a template built on our current state; send_* takes
 * the signed event back, checks it (it must be exactly the membership the path names, sent by a
 * user of the requesting server about themself, properly signed), puts it through the same auth
 * checks as any event, and sends it on to the other servers in the room.
 */
export class ResidentHandshakes {
  constructor(private readonly ctx: MembershipContext) {}

  /** GET make_join / make_leave / make_knock: `{ room_version, event }`. */
  make(membership: HandshakeMembership, roomId: string, userId: string, origin: string, versions: readonly string[] | undefined): JsonObject {
    if (serverOfUserId(userId) !== origin) throw forbidden('The user is not on the requesting server');
    const version = this.residentVersion(roomId, origin);
    if (membership !== 'leave') {
      // make_join's `ver` defaults to ["1"]; make_knock requires it.
      const supported = versions && versions.length > 0 ? versions : ['1'];
      if (!supported.includes(version.id)) {
        throw new MatrixError(400, ErrCode.INCOMPATIBLE_ROOM_VERSION, `Your server does not support room version ${version.id}`, {
          room_version: version.id,
        });
      }
    }

    const content: JsonObject = { membership };
    if (membership === 'join') {
      const via = authorisingUser(this.ctx.storage, this.ctx.rooms, version, roomId, userId, this.ctx.serverName);
      if (via !== undefined) content.join_authorised_via_users_server = via;
    }
    const built = this.ctx.rooms.creator.buildDetached({
      template: { type: 'm.room.member', state_key: userId, sender: userId, content, room_id: roomId },
    });
    // Refuse now what the auth rules would refuse anyway (not invited, banned, no knocking...).
    const verdict = checkAuthRules(version, built.event, this.ctx.rooms.state.currentLookup(roomId));
    if (!verdict.allowed) throw forbidden(`You may not ${membership === 'leave' ? 'leave' : membership} this room: ${verdict.reason}`);
    return { room_version: version.id, event: templateOf(built.pdu, this.ctx.serverName) };
  }

  /** PUT send_join (v2): the join, then the room's state before it and the auth chain. */
  async sendJoin(roomId: string, eventId: string, body: JsonObject, origin: string, omitMembers: boolean): Promise<JsonObject> {
    const { pdu, version } = await this.accept('join', roomId, eventId, body, origin);
    return sendJoinResponse(this.ctx, version, roomId, eventId, pdu, omitMembers);
  }

  /** PUT send_leave (v2): `{}` once accepted. */
  async sendLeave(roomId: string, eventId: string, body: JsonObject, origin: string): Promise<JsonObject> {
    await this.accept('leave', roomId, eventId, body, origin);
    return {};
  }

  /** PUT send_knock: the room's prejoin state, for the knocking user's client. */
  async sendKnock(roomId: string, eventId: string, body: JsonObject, origin: string): Promise<JsonObject> {
    await this.accept('knock', roomId, eventId, body, origin);
    return { knock_room_state: prejoinStatePdus(this.ctx.storage, this.ctx.rooms.loader, roomId) };
  }

  /** The room's version, if we are in it and its server ACL lets `origin` take part. */
  private residentVersion(roomId: string, origin: string): RoomVersion {
    const version = this.ctx.rooms.loader.versionOf(roomId);
    if (!version || !this.ctx.rooms.membership.participating(roomId)) throw notFound(`This server is not in room ${roomId}`);
    if (!this.ctx.acl.allowed(roomId, origin)) throw forbidden('Server is banned from this room by its server ACL');
    return version;
  }

  private async accept(
    membership: HandshakeMembership,
    roomId: string,
    eventId: string,
    body: JsonObject,
    origin: string,
  ): Promise<{ pdu: Pdu; version: RoomVersion }> {
    const version = this.residentVersion(roomId, origin);
    let pdu: Pdu;
    try {
      pdu = validatePdu(body, version);
    } catch (err) {
      if (err instanceof PduFormatError) throw invalidParam(`Invalid event: ${err.message}`);
      throw err;
    }
    if (computeEventId(pdu, version) !== eventId) throw invalidParam('The event ID does not match the event');
    if (pdu.room_id !== roomId) throw invalidParam('The event is for another room');
    if (pdu.type !== 'm.room.member') throw invalidParam('The event is not an m.room.member event');
    if (pdu.content.membership !== membership) throw invalidParam(`The event's membership is not ${membership}`);
    if (serverOfUserId(pdu.sender) !== origin) throw invalidParam('The sender is not a user of the requesting server');
    if (pdu.state_key !== pdu.sender) throw invalidParam('The state_key is not the sender');

    // A restricted join vouched for by one of our users carries our signature from here on.
    const via = pdu.content.join_authorised_via_users_server;
    if (membership === 'join' && typeof via === 'string' && serverOfUserId(via) === this.ctx.serverName) {
      pdu = countersign(pdu, version, this.ctx.serverName, this.ctx.signingKey);
    }

    let checked;
    try {
      checked = await checkOnePdu(this.ctx.verifier, version, pdu);
    } catch (err) {
      if (err instanceof PduCheckError) throw invalidParam(`The event failed the signature checks: ${err.message}`);
      throw err;
    }

    let outcome: PersistOutcome;
    try {
      outcome = this.ctx.rooms.persister.persist({ pdu: checked.pdu, event: checked.event, version });
    } catch (err) {
      if (err instanceof MissingEventsError) throw invalidParam(`The event refers to ${err.kind} events this server does not have`);
      throw err;
    }
    if (outcome.status === 'duplicate') {
      const row = this.ctx.storage.events.get(eventId);
      if (row && (row.rejectedReason !== null || row.softFailed)) throw forbidden(row.rejectedReason ?? 'The event is not allowed');
      return { pdu: checked.pdu, version };
    }
    if (outcome.status !== 'accepted') throw forbidden(outcome.rejectedReason ?? `The ${membership} is not allowed by the room's current state`);

    // Everyone else in the room hears of it from us ("the resident server sends it on").
    const destinations = this.ctx.roomServers.remote(roomId).filter((server) => server !== origin);
    if (destinations.length > 0) this.ctx.federation.outboundQueue.enqueuePdu(destinations, federationPdu(checked.pdu));
    return { pdu: checked.pdu, version };
  }
}
