import type { StateMap } from '../events/room-event.js';
import type { RoomVersion } from '../room-versions.js';
import { AuthGraph, type EventSource, type StateResOptions } from './graph.js';
import { resolveWithGraph } from './resolve.js';

export type { EventSource, StateResOptions } from './graph.js';
export { AuthGraph, eventSourceOf } from './graph.js';
export { resolveWithGraph } from './resolve.js';
export { resolveDag, StateDagError } from './dag.js';
// The steps, for callers that need one on its own (auth chains for /event_auth, tooling).
export { authChain, fullAuthChain, walkAuthAncestors } from './auth-chain.js';
export { authDifference } from './auth-difference.js';
export { conflictedSubgraph } from './conflicted-subgraph.js';
export { isPowerEvent, lexicographicalTopologicalSort, reverseTopologicalPowerSort, senderPowerLevel } from './power-sort.js';
export { iterativeAuthChecks } from './iterative-auth-checks.js';
export { mainlineOf, mainlineSort } from './mainline-sort.js';
export { separateState, separateStateV1 } from './separate.js';
export { fullConflictedSet } from './v2.js';

/**
 * State resolution: the state of a room where several states meet, by the room version's
 * algorithm. Pure: everything it needs comes from `events`. Events it cannot get are skipped
 * (they can be neither ordered nor checked), never fatal.
 */
export function resolveState(
  version: RoomVersion,
  stateSets: readonly StateMap[],
  events: EventSource,
  options: StateResOptions = {},
): StateMap {
  return resolveWithGraph(new AuthGraph(version, events, options), stateSets);
}
