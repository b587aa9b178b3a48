import type { StateMap } from '../events/room-event.js';
import type { AuthGraph } from './graph.js';
import { resolveV1 } from './v1.js';
import { resolveV2 } from './v2.js';

/**
 * Resolution over a graph the caller keeps, so repeated resolutions (the DAG walker, a server
 * resolving many forks of one room) share its memoised look-ups. Dispatches on the room version's
 * algorithm: v1 for room version 1, v2 for 2-11, v2.1 for 12.
 */
export function resolveWithGraph(graph: AuthGraph, stateSets: readonly StateMap[]): StateMap {
  if (stateSets.length === 0) return new Map();
  if (stateSets.length === 1) return new Map(stateSets[0]);
  return graph.version.stateRes === 'v1' ? resolveV1(graph, stateSets) : resolveV2(graph, stateSets);
}
