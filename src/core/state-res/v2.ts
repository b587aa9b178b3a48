import { stateTupleKey, type StateMap } from '../events/room-event.js';
import { authDifference } from './auth-difference.js';
import { conflictedSubgraph } from './conflicted-subgraph.js';
import type { AuthGraph } from './graph.js';
import { applyIterativeAuthChecks } from './iterative-auth-checks.js';
import { mainlineSort } from './mainline-sort.js';
import { isPowerEvent, reverseTopologicalPowerSort } from './power-sort.js';
import { separateState } from './separate.js';

const POWER_LEVELS_KEY = stateTupleKey('m.room.power_levels', '');

/** The unconflicted state map and the full conflicted set, as steps 1-5 consume them. */
export interface FullConflictedSet {
  readonly unconflicted: StateMap;
  /** Conflicted state set ∪ auth difference (∪ conflicted state subgraph from v2.1), known events only. */
  readonly events: ReadonlySet<string>;
}

/** Definitions: unconflicted state map and full conflicted set (v2, or v2.1 with the subgraph). */
export function fullConflictedSet(graph: AuthGraph, stateSets: readonly StateMap[]): FullConflictedSet {
  const { unconflicted, conflicted } = separateState(stateSets);
  const events = new Set<string>();
  if (conflicted.size === 0) return { unconflicted, events };
  for (const ids of conflicted.values()) for (const id of ids) events.add(id);
  const conflictedIds = [...events];
  for (const id of authDifference(graph, stateSets, unconflicted)) events.add(id);
  if (graph.version.stateRes === 'v2.1') {
    for (const id of conflictedSubgraph(graph, conflictedIds)) events.add(id);
  }
  // Events we cannot fetch cannot be ordered or checked; like Synapse and ruma, leave them out.
  for (const id of events) if (graph.event(id) === undefined) events.delete(id);
  return { unconflicted, events };
}

/**
 * State resolution v2 (room versions 2-11) and v2.1 (room version 12, MSC4297): the five steps of
 * the spec's "Algorithm" section.
 */
export function resolveV2(graph: AuthGraph, stateSets: readonly StateMap[]): StateMap {
  const { unconflicted, events: full } = fullConflictedSet(graph, stateSets);
  // Nothing conflicted (or nothing conflicted that we have): every step below would be a no-op.
  if (full.size === 0) return unconflicted;

  // 1. Power events and their auth ancestry within the full conflicted set, power-ordered.
  const powerEvents: string[] = [];
  for (const id of full) if (isPowerEvent(graph.event(id)!)) powerEvents.push(id);
  const sortedPower = reverseTopologicalPowerSort(graph, powerEvents, full);

  // 2. Iterative auth checks over them, from the unconflicted state (v2) or from nothing (v2.1:
  //    the auth events supply what is missing, so a stale unconflicted state cannot veto them).
  const resolved: StateMap = graph.version.stateRes === 'v2.1' ? new Map() : new Map(unconflicted);
  applyIterativeAuthChecks(graph, sortedPower, resolved);

  // 3. Everything else, in mainline order of the power levels resolved so far. In v2.1 that
  //    state started empty, so when the power levels are unconflicted (and outside the full
  //    conflicted set) there are none yet: the mainline is empty, every position is ∞, and the
  //    order falls to timestamp and ID. That is the spec's wording and what Synapse and ruma do.
  const inPowerSort = new Set(sortedPower);
  const leftover: string[] = [];
  for (const id of full) if (!inPowerSort.has(id)) leftover.push(id);
  const sortedLeftover = mainlineSort(graph, leftover, resolved.get(POWER_LEVELS_KEY));

  // 4. Iterative auth checks over those, on top of step 2's state.
  applyIterativeAuthChecks(graph, sortedLeftover, resolved);

  // 5. The unconflicted state map always wins.
  for (const [key, id] of unconflicted) resolved.set(key, id);
  return resolved;
}
