import { stateTupleKey, type StateMap } from '../../../core/events/room-event.js';
import { authOrder } from '../inbound/handle-outlier-pdu.js';
import { persistBatch } from '../inbound/persist-batch.js';
import type { MembershipContext } from './context.js';
import type { CheckedPdu } from './pdu-checks.js';

/**
 * Taking in a room's state from another server (send_join's `state` and `auth_chain`): every
 * event is stored as an outlier, checked against its own auth events, auth events first, all in
 * one transaction (the inbound pipeline's authOrder and persistBatch; its OutlierHandler needs
 * the room to be known already, which a room we are joining is not). What comes back is the
 * room state made of the accepted state events, which the join is then persisted on
 * (`stateBefore`): from there the room is like any other.
 *
 * Events whose auth events are nowhere to be found, or that fail the auth rules, do not make it
 * into the state; the caller decides whether what is left is a room (it must have its create
 * event).
 */
export function importRoomState(ctx: MembershipContext, events: readonly CheckedPdu[], stateIds: ReadonlySet<string>): StateMap {
  const { storage, rooms } = ctx;
  const ordered = authOrder(events);
  const results = persistBatch(storage, rooms, ordered.length, (i) => {
    const { pdu, event, version } = ordered[i]!;
    return { pdu, event, version, outlier: true };
  });

  // Stored now or before, and not rejected against its auth events.
  const usable = new Set<string>();
  results.forEach((result, i) => {
    const outcome = result.outcome;
    if (outcome?.status === 'outlier' || (outcome?.status === 'duplicate' && !rooms.loader.load(outcome.eventId)?.rejected)) {
      usable.add(ordered[i]!.eventId);
    }
  });
  const state: StateMap = new Map();
  for (const { event, eventId } of events) {
    if (event.state_key !== undefined && stateIds.has(eventId) && usable.has(eventId)) state.set(stateTupleKey(event.type, event.state_key), eventId);
  }
  return state;
}
