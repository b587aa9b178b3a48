import { ProtocolError } from '../errors.js';
import { stateTupleKey, type RoomEvent, type StateMap } from '../events/room-event.js';
import type { RoomVersion } from '../room-versions.js';
import { AuthGraph, type StateResOptions } from './graph.js';
import { compareEventIds, MinHeap } from './order.js';
import { resolveWithGraph } from './resolve.js';

/** The events cannot be walked as a DAG (empty, duplicate IDs, or a prev_events cycle). */
export class StateDagError extends ProtocolError {
  override name = 'StateDagError';
}

/**
 * The room state after a set of events, computed from their prev_events DAG: walk the events in
 * topological order; the state before an event is {} with no prev events, the state after its
 * prev event when it has one, and the resolution of the states after its prev events otherwise;
 * the state after it adds the event itself if it is a state event. The answer is the resolution
 * of the states after the forward extremities (events no other event lists as a prev event).
 *
 * prev_events naming events outside the list are ignored (the walk starts wherever the list does).
 * Events are not auth-checked on the way: the caller hands in accepted events. States are handed
 * from an event to its only remaining child without copying and dropped once every child has
 * read them, so a long linear history costs one map, not one per event.
 */
export function resolveDag(version: RoomVersion, events: readonly RoomEvent[], options: StateResOptions = {}): StateMap {
  if (events.length === 0) throw new StateDagError('no events to resolve');
  const byId = new Map<string, RoomEvent>();
  for (const event of events) {
    if (byId.has(event.event_id)) throw new StateDagError(`duplicate event ${event.event_id}`);
    byId.set(event.event_id, event);
  }
  const graph = new AuthGraph(version, (id) => byId.get(id), options);

  const prevsOf = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const event of events) {
    const prevs = [...new Set(event.prev_events)].filter((id) => id !== event.event_id && byId.has(id));
    prevsOf.set(event.event_id, prevs);
    for (const prev of prevs) {
      let list = children.get(prev);
      if (list === undefined) children.set(prev, (list = []));
      list.push(event.event_id);
    }
  }

  // Kahn's algorithm over prev_events; the tie-break (depth, then ID) only makes the walk
  // deterministic, the states do not depend on it.
  const ready = new MinHeap<RoomEvent>((a, b) => a.depth - b.depth || compareEventIds(a.event_id, b.event_id));
  const waiting = new Map<string, number>();
  for (const event of events) {
    const count = prevsOf.get(event.event_id)!.length;
    if (count === 0) ready.push(event);
    else waiting.set(event.event_id, count);
  }

  const stateAfter = new Map<string, StateMap>();
  const readersLeft = new Map<string, number>();
  // One reader of `prev` is done; drop its state after the last.
  const release = (prev: string): void => {
    const left = readersLeft.get(prev)! - 1;
    readersLeft.set(prev, left);
    if (left === 0) stateAfter.delete(prev);
  };
  // The state after `prev` to build on: the map itself for its last reader, else a copy.
  const take = (prev: string): StateMap => {
    const state = stateAfter.get(prev)!;
    const last = readersLeft.get(prev) === 1;
    release(prev);
    return last ? state : new Map(state);
  };

  let walked = 0;
  for (let event = ready.pop(); event !== undefined; event = ready.pop()) {
    walked++;
    const id = event.event_id;
    const prevs = prevsOf.get(id)!;
    let state: StateMap;
    if (prevs.length === 0) state = new Map();
    else if (prevs.length === 1) state = take(prevs[0]!);
    else {
      state = resolveWithGraph(graph, prevs.map((prev) => stateAfter.get(prev)!));
      for (const prev of prevs) release(prev);
    }
    if (event.state_key !== undefined) state.set(stateTupleKey(event.type, event.state_key), id);
    const kids = children.get(id) ?? [];
    stateAfter.set(id, state);
    readersLeft.set(id, kids.length);
    for (const child of kids) {
      const left = waiting.get(child)! - 1;
      if (left === 0) {
        waiting.delete(child);
        ready.push(byId.get(child)!);
      } else waiting.set(child, left);
    }
  }
  if (walked < events.length) throw new StateDagError('prev_events form a cycle');

  const extremities = events.filter((event) => !children.has(event.event_id)).map((event) => stateAfter.get(event.event_id)!);
  return resolveWithGraph(graph, extremities);
}
