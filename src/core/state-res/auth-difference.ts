import type { StateMap } from '../events/room-event.js';
import { walkAuthAncestors } from './auth-chain.js';
import type { AuthGraph } from './graph.js';
import { separateState } from './separate.js';

/**
 * The auth difference: ∪Cᵢ − ∩Cᵢ, where Cᵢ is the full auth chain of state set Sᵢ.
 *
 * Like Synapse (chain-cover index) and ruma, Cᵢ also holds the events of Sᵢ themselves, not only
 * their ancestors. This only matters for an unconflicted event that some other set reaches solely
 * as a state entry: it then counts as in every chain, which is what it is, and stays out of the
 * difference.
 *
 * Done without building each Cᵢ in full (a big room's state has thousands of members): U, the
 * events reachable from the unconflicted state, is in every Cᵢ and is ancestor-closed, so each
 * set only needs walking from its conflicted entries down to where it meets U. The result is
 * (∪Dᵢ − ∩Dᵢ) with Dᵢ = Cᵢ − U, which equals ∪Cᵢ − ∩Cᵢ. Linear in the events visited.
 */
export function authDifference(graph: AuthGraph, stateSets: readonly StateMap[], unconflicted?: StateMap): Set<string> {
  const difference = new Set<string>();
  if (stateSets.length < 2) return difference;
  const base = unconflicted ?? separateState(stateSets).unconflicted;
  const common = walkAuthAncestors(graph, base.values(), { includeStarts: true });

  const counts = new Map<string, number>();
  for (const set of stateSets) {
    const starts: string[] = [];
    for (const [key, id] of set) if (base.get(key) !== id) starts.push(id);
    for (const id of walkAuthAncestors(graph, starts, { includeStarts: true, stop: common })) {
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  for (const [id, count] of counts) if (count < stateSets.length) difference.add(id);
  return difference;
}
