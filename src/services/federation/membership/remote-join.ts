import { computeEventId } from '../../../core/events/event-id.js';
import { toRoomEvent, validatePdu, type Pdu } from '../../../core/events/pdu.js';
import { stateTupleKey } from '../../../core/events/room-event.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../../core/json.js';
import { createEventIdOf } from '../../../core/state-res/graph.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { forbidden } from '../../errors.js';
import type { RemoteMembershipRequest } from '../../rooms/remote-membership.js';
import { KeyedLock } from '../inbound/keyed-lock.js';
import type { MembershipContext } from './context.js';
import { serversThatKnow } from './membership-hints.js';
import type { SignedTemplate } from './event-template.js';
import { checkPdus, type CheckedPdu } from './pdu-checks.js';
import { runHandshake, type HandshakeStep } from './remote-handshake.js';
import { importRoomState } from './room-import.js';

/**
 * Joining a room this server is not in ("Joining rooms"): make_join → sign → send_join v2 →
 * check what came back (signatures and hashes of the state and auth chain, the room's create
 * event, then each event against its auth events as it is stored) → the join, persisted on the
 * returned state. We ask for the full state (no omit_members): partial-state rooms would need a
 * resync machinery this server does not have.
 */

/** Raised when a server's send_join answer cannot be used (the next server is tried). */
export class BadJoinResponseError extends Error {
  override name = 'BadJoinResponseError';
}

export class RemoteJoiner {
  /** One join per room at a time: a second local user joining meanwhile finds the state stored. */
  private readonly rooms = new KeyedLock();

  constructor(private readonly ctx: MembershipContext) {}

  async join(request: RemoteMembershipRequest): Promise<{ roomId: string }> {
    const servers = [...request.servers, ...serversThatKnow(this.ctx, request.roomId, request.userId)];
    return this.rooms.run(request.roomId, () => runHandshake(this.ctx, 'join', { ...request, servers }, (step) => this.sendJoin(request, step)));
  }

  private async sendJoin(request: RemoteMembershipRequest, step: HandshakeStep): Promise<{ roomId: string }> {
    const { server, version, signed } = step;
    const response = await this.ctx.federation.client.request(server, {
      method: 'PUT',
      path: `/_matrix/federation/v2/send_join/${encodeURIComponent(request.roomId)}/${encodeURIComponent(signed.eventId)}`,
      body: signed.pdu as JsonObject,
    });
    const join = this.acceptedJoin(version, signed, response.event);
    const state = arrayOf(response.state, 'state');
    const authChain = arrayOf(response.auth_chain, 'auth_chain');

    const verifier = this.ctx.verifier;
    const options = { onHashMismatch: 'redact' } as const;
    const [checkedState, checkedChain] = await Promise.all([checkPdus(verifier, version, state, options), checkPdus(verifier, version, authChain, options)]);
    const inRoom = [...checkedChain.checked, ...checkedState.checked].filter((c) => c.roomId === request.roomId);
    const stateIds = new Set(checkedState.checked.map((c) => c.eventId));
    this.requireCreateEvent(version, request.roomId, inRoom, stateIds);

    const stateBefore = importRoomState(this.ctx, inRoom, stateIds);
    if (!stateBefore.has(stateTupleKey('m.room.create', ''))) throw new BadJoinResponseError(`${server}'s room state has no usable create event`);

    const outcome = this.ctx.rooms.persister.persist({ pdu: join, event: toRoomEvent(join, version), version, stateBefore });
    if (outcome.status === 'rejected' || outcome.status === 'soft_failed') {
      throw forbidden(`The join is not allowed by the room's state: ${outcome.rejectedReason ?? outcome.status}`);
    }
    this.ctx.log.info({ roomId: request.roomId, server, stateEvents: stateBefore.size }, 'joined a remote room');
    return { roomId: request.roomId };
  }

  /**
   * The join as the resident server accepted it: its copy (which may carry its countersignature
   * for a restricted join) when that is the very event we signed, else ours.
   */
  private acceptedJoin(version: RoomVersion, signed: SignedTemplate, returned: JsonValue | undefined): Pdu {
    if (!isJsonObject(returned)) return signed.pdu;
    try {
      const pdu = validatePdu(returned, version);
      if (computeEventId(pdu, version) === signed.eventId) return { ...signed.pdu, signatures: { ...pdu.signatures, ...signed.pdu.signatures } };
    } catch {
      // Not usable: keep ours.
    }
    return signed.pdu;
  }

  /** The state must name this room's create event, of the version the room claims. */
  private requireCreateEvent(version: RoomVersion, roomId: string, events: readonly CheckedPdu[], stateIds: ReadonlySet<string>): void {
    const create = events.find((c) => c.event.type === 'm.room.create' && c.event.state_key === '' && stateIds.has(c.event.event_id));
    if (!create) throw new BadJoinResponseError('the room state has no m.room.create event');
    const declared = create.event.content.room_version;
    const createVersion = typeof declared === 'string' ? declared : '1';
    if (createVersion !== version.id) throw new BadJoinResponseError(`the room is version ${createVersion}, not ${version.id}`);
    if (version.roomIdFromCreateEvent && createEventIdOf(roomId) !== create.event.event_id) {
      throw new BadJoinResponseError('the create event does not name this room');
    }
  }
}

function arrayOf(value: JsonValue | undefined, name: string): JsonValue[] {
  if (!Array.isArray(value)) throw new BadJoinResponseError(`send_join answered without ${name}`);
  return value;
}
