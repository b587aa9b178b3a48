import type { AuthGraph } from './graph.js';

/**
 * State res v2.1 (room v12, MSC4297): the conflicted state subgraph, the union of all auth-event
 * paths from one conflicted event to another, endpoints included. An event is on such a path
 * exactly when it is reachable from some conflicted event (following auth_events) and some
 * conflicted event is reachable from it. So: walk down from the conflicted events recording the
 * reverse edges, walk back up from the conflicted events over those, and intersect. Linear in
 * the conflicted events' auth ancestry.
 *
 * Like Synapse, every conflicted event is in the result (each trivially reaches itself); it makes
 * no difference to the full conflicted set, which contains them anyway.
 */
export function conflictedSubgraph(graph: AuthGraph, conflicted: Iterable<string>): Set<string> {
  const starts = [...new Set(conflicted)];

  // Down: everything reachable from a conflicted event, and who points at whom.
  const below = new Set<string>(starts);
  const pointedAtBy = new Map<string, string[]>();
  const stack = [...starts];
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const a of graph.authEvents(id)) {
      let referrers = pointedAtBy.get(a);
      if (referrers === undefined) pointedAtBy.set(a, (referrers = []));
      referrers.push(id);
      if (!below.has(a)) {
        below.add(a);
        stack.push(a);
      }
    }
  }

  // Up: everything (within that region) from which a conflicted event is reachable.
  const subgraph = new Set<string>(starts);
  for (const id of starts) stack.push(id);
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const referrer of pointedAtBy.get(id) ?? []) {
      if (!subgraph.has(referrer)) {
        subgraph.add(referrer);
        stack.push(referrer);
      }
    }
  }
  // Every node found going up lies below some conflicted event by construction (the reverse
  // edges only exist inside `below`), so `subgraph` is already the intersection.
  return subgraph;
}
