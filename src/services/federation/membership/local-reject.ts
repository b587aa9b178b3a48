import { randomBytes } from 'node:crypto';
import { buildEvent } from '../../../core/events/build.js';
import type { RemoteMembershipRequest } from '../../rooms/remote-membership.js';
import type { MembershipContext } from './context.js';

/**
 * Rejecting an invite (or withdrawing a knock) when no server of the room would take our leave,
 * as Synapse does (_generate_local_out_of_band_leave): we write the leave ourselves, an
 * out-of-band membership that follows the invite (its only prev and auth event), signed by us
 * and sent nowhere. It becomes the user's membership here, so the invite leaves their sync
 * (the room moves to `rooms.leave`), while the room's servers still count them as invited until
 * an inviter looks again; a later invite replaces it like any other membership.
 *
 * Returns false when the user holds no invite or knock here (nothing to reject locally).
 */
export function rejectLocally(ctx: MembershipContext, request: RemoteMembershipRequest): boolean {
  const { rooms, storage } = ctx;
  const current = storage.memberships.current(request.roomId, request.userId);
  const held = current === undefined ? undefined : rooms.loader.load(current.eventId);
  if (!held || held.rejected) return false;
  const membership = held.event.content.membership;
  if (held.event.type !== 'm.room.member' || held.event.state_key !== request.userId || (membership !== 'invite' && membership !== 'knock')) return false;

  const { version } = held;
  const built = buildEvent(
    { type: 'm.room.member', state_key: request.userId, sender: request.userId, content: { ...request.content, membership: 'leave' }, room_id: request.roomId },
    {
      version,
      origin: ctx.serverName,
      key: ctx.signingKey,
      originServerTs: ctx.clock.now(),
      prevEvents: [{ event_id: held.event.event_id, depth: held.event.depth }],
      state: (type, stateKey) => (type === 'm.room.member' && stateKey === request.userId ? held.event : undefined),
      referenceHash: (id) => rooms.loader.referenceHash(id),
      ...(version.eventIdFormat === 'explicit' ? { randomBytes: randomBytes(18) } : {}),
    },
  );
  const outcome = rooms.persister.persistOutOfRoomMembership({ pdu: built.pdu, event: built.event, version });
  return outcome.status === 'accepted' || outcome.status === 'duplicate';
}
