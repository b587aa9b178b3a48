import { authEventsSelection, checkAuthRules } from '../auth/index.js';
import { stateTupleKey, type RoomEvent, type StateMap, type StateTupleKey } from '../events/room-event.js';
import type { AuthGraph } from './graph.js';

const CREATE_KEY = stateTupleKey('m.room.create', '');

/**
 * The iterative auth checks: apply each state event of `eventIds`, in order, to a copy of
 * `baseState` if the authorisation rules allow it against the state built so far.
 *
 * What the rules see for an event: its own auth events (those we have, not rejected), overridden
 * for every key the event's auth-events selection names by the event the state so far holds (if
 * that one is not rejected). So a key missing from the state falls back to the event's auth event,
 * as the spec requires; v2.1's first pass, which starts from the empty state, relies on exactly
 * that. The create key is always consulted (Synapse's `auth_types_for_event` includes it); in v12
 * the create event comes from the room ID through the graph's implied auth event.
 *
 * Rejected events (`graph.isRejected`) are never used as auth events. The events being checked are
 * handled as usual even if rejected before, as the spec says ("Rejected events").
 */
export function iterativeAuthChecks(graph: AuthGraph, eventIds: readonly string[], baseState: StateMap): StateMap {
  const state: StateMap = new Map(baseState);
  applyIterativeAuthChecks(graph, eventIds, state);
  return state;
}

/** `iterativeAuthChecks` updating `state` in place (saves copying a big room's state twice). */
export function applyIterativeAuthChecks(graph: AuthGraph, eventIds: readonly string[], state: StateMap): void {
  const version = graph.version;
  for (const id of eventIds) {
    const event = graph.event(id);
    if (event === undefined || event.state_key === undefined) continue;

    const authEvents = new Map<StateTupleKey, RoomEvent>();
    for (const authId of graph.authEvents(id)) {
      const auth = graph.event(authId);
      if (auth === undefined || auth.state_key === undefined || graph.isRejected(authId)) continue;
      authEvents.set(stateTupleKey(auth.type, auth.state_key), auth);
    }
    const override = (key: StateTupleKey): void => {
      const current = state.get(key);
      if (current === undefined || graph.isRejected(current)) return;
      const currentEvent = graph.event(current);
      if (currentEvent !== undefined) authEvents.set(key, currentEvent);
    };
    // The create event is the only event with no auth events to consult.
    if (!(event.type === 'm.room.create' && event.state_key === '')) override(CREATE_KEY);
    for (const [type, stateKey] of authEventsSelection(version, event)) override(stateTupleKey(type, stateKey));

    const result = checkAuthRules(version, event, (type, stateKey) => authEvents.get(stateTupleKey(type, stateKey)));
    if (result.allowed) state.set(stateTupleKey(event.type, event.state_key), id);
  }
}
