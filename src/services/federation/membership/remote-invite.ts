import { computeEventId } from '../../../core/events/event-id.js';
import { validatePdu, type Pdu } from '../../../core/events/pdu.js';
import { contentHashMatches } from '../../../core/hashes.js';
import { isJsonObject, type JsonObject } from '../../../core/json.js';
import { requireRoomVersion } from '../../../core/room-versions.js';
import { ErrCode, MatrixError } from '../../errors.js';
import { serverOfUserId } from '../../user-ids.js';
import type { MembershipContext } from './context.js';
import { hasServerSignature } from './pdu-checks.js';
import { prejoinStatePdus } from './prejoin-state.js';
import { remoteFailure } from './remote-errors.js';

/**
 * Inviting a user of another server ("Inviting to a room"): the invite we built and signed goes
 * to the invitee's server with the room's stripped state (create event first), which signs it
 * too. What comes back must be the very same event (same ID, intact content hash) carrying the
 * invitee server's valid signature; the rooms service then persists it and it is sent to the
 * room like any local event.
 */
export class RemoteInviter {
  constructor(private readonly ctx: MembershipContext) {}

  async invite(roomId: string, roomVersionId: string, event: Pdu): Promise<Pdu> {
    const version = requireRoomVersion(roomVersionId);
    const invitee = event.state_key;
    const destination = invitee === undefined ? undefined : serverOfUserId(invitee);
    if (destination === undefined) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'The invite names no user');
    const eventId = computeEventId(event, version);

    let response: JsonObject;
    try {
      response = await this.ctx.federation.client.request(destination, {
        method: 'PUT',
        path: `/_matrix/federation/v2/invite/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`,
        body: {
          room_version: version.id,
          event: event as JsonObject,
          invite_room_state: prejoinStatePdus(this.ctx.storage, this.ctx.rooms.loader, roomId, event.sender),
        },
      });
    } catch (err) {
      throw remoteFailure([err], 'The invite');
    }

    const bad = (why: string): MatrixError => new MatrixError(502, ErrCode.UNKNOWN, `${destination} returned an unusable invite: ${why}`);
    if (!isJsonObject(response.event)) throw bad('no event');
    let signed: Pdu;
    try {
      signed = validatePdu(response.event, version);
    } catch (err) {
      throw bad(err instanceof Error ? err.message : 'invalid event');
    }
    if (computeEventId(signed, version) !== eventId) throw bad('it is not the event we sent');
    if (!contentHashMatches(signed, version)) throw bad('its content was changed');
    if (!(await hasServerSignature(this.ctx.federation.keyRing, version, signed, destination))) throw bad(`it is not signed by ${destination}`);
    // Ours stays as we made it; theirs is added.
    return { ...event, signatures: { ...signed.signatures, ...event.signatures } };
  }
}
