import { stateTupleKey, type StateMap } from '../../../core/events/room-event.js';
import { createEventIdOf } from '../../../core/state-res/graph.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { MissingEventsError, type PersistOutcome } from '../../rooms/event-persister.js';
import type { MembershipContext } from './context.js';
import type { CheckedPdu } from './pdu-checks.js';

/**
 * Taking in a room's state from another server (send_join's `state` and `auth_chain`): every
 * event is stored as an outlier, checked against its own auth events, auth events first, all in
 * one transaction. What comes back is the room state made of the accepted state events, which
 * the join is then persisted on (`stateBefore`): from there the room is like any other.
 *
 * Events whose auth events are nowhere to be found, or that fail the auth rules, do not make it
 * into the state; the caller decides whether what is left is a room (it must have its create
 * event).
 */
export function importRoomState(ctx: MembershipContext, version: RoomVersion, events: readonly CheckedPdu[], stateIds: ReadonlySet<string>): StateMap {
  const { storage, rooms } = ctx;
  const ordered = authOrder(version, events);
  const outcomes: PersistOutcome[] = [];
  rooms.loader.inTransaction(() =>
    storage.transaction(() => {
      for (const { pdu, event } of ordered) {
        try {
          outcomes.push(rooms.persister.write({ pdu, event, version, outlier: true }));
        } catch (err) {
          // Its auth events are missing (not sent, or dropped for bad signatures): leave it out.
          if (!(err instanceof MissingEventsError)) throw err;
        }
      }
    }),
  );
  for (const outcome of outcomes) rooms.persister.announce(outcome);

  const usable = new Set<string>();
  for (const outcome of outcomes) {
    if (outcome.status === 'outlier') usable.add(outcome.eventId);
    else if (outcome.status === 'duplicate' && !rooms.loader.load(outcome.eventId)?.rejected) usable.add(outcome.eventId);
  }
  const state: StateMap = new Map();
  for (const { event } of events) {
    if (event.state_key !== undefined && stateIds.has(event.event_id) && usable.has(event.event_id)) {
      state.set(stateTupleKey(event.type, event.state_key), event.event_id);
    }
  }
  return state;
}

/**
 * The events with every event after its auth events (depth-first, iteratively: an auth chain
 * can be long). From v12 the create event, named by the room ID, comes before everything.
 */
function authOrder(version: RoomVersion, events: readonly CheckedPdu[]): CheckedPdu[] {
  const byId = new Map<string, CheckedPdu>();
  for (const checked of events) byId.set(checked.event.event_id, checked);
  const dependencies = (checked: CheckedPdu): string[] => {
    const ids = [...checked.event.auth_events];
    if (version.roomIdFromCreateEvent && checked.event.type !== 'm.room.create') {
      const createId = createEventIdOf(checked.event.room_id);
      if (createId !== undefined) ids.push(createId);
    }
    return ids;
  };

  const ordered: CheckedPdu[] = [];
  const done = new Set<string>();
  const entered = new Set<string>();
  for (const root of byId.keys()) {
    if (done.has(root)) continue;
    const stack: string[] = [root];
    while (stack.length > 0) {
      const id = stack[stack.length - 1]!;
      const checked = byId.get(id);
      if (!checked || done.has(id)) {
        stack.pop();
        continue;
      }
      if (!entered.has(id)) {
        entered.add(id);
        for (const dep of dependencies(checked)) if (!done.has(dep) && !entered.has(dep)) stack.push(dep);
        continue;
      }
      // Second visit: its auth events are placed (or absent, or part of a cycle, which the
      // persister then refuses as missing).
      stack.pop();
      done.add(id);
      ordered.push(checked);
    }
  }
  return ordered;
}
