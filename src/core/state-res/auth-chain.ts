import type { AuthGraph } from './graph.js';

/**
 * Auth chains: the events reachable from an event over `auth_events` links (the event itself
 * excluded). Unknown events stay in a chain by ID (they are referenced) but cannot be followed;
 * callers drop them where they need event bodies.
 */

const memo = new WeakMap<AuthGraph, Map<string, ReadonlySet<string>>>();

/**
 * The auth chain of one event, memoised per graph: each event's chain is the union of its auth
 * events and their (memoised) chains, so a chain shared by many events is walked once. Built
 * iteratively (post-order with an explicit stack) so long chains cannot overflow the call stack.
 * Costs memory proportional to the chain sizes; for one-off questions over many events
 * (auth difference, subgraph) prefer `walkAuthAncestors`, which is linear.
 */
export function authChain(graph: AuthGraph, eventId: string): ReadonlySet<string> {
  let chains = memo.get(graph);
  if (chains === undefined) {
    chains = new Map();
    memo.set(graph, chains);
  }
  const done = chains.get(eventId);
  if (done !== undefined) return done;

  // Stack of [event, expanded?]; an event is finished once all its auth events are.
  const stack: Array<[string, boolean]> = [[eventId, false]];
  const onStack = new Set<string>();
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [id, expanded] = top;
    if (chains.has(id)) {
      stack.pop();
      continue;
    }
    const auths = graph.authEvents(id);
    if (!expanded) {
      top[1] = true;
      onStack.add(id);
      for (const a of auths) {
        // A cycle is impossible for events with valid hashes; guard anyway so bad input
        // cannot loop forever: a back edge is simply not followed.
        if (!chains.has(a) && !onStack.has(a)) stack.push([a, false]);
      }
      continue;
    }
    stack.pop();
    onStack.delete(id);
    const chain = new Set<string>();
    for (const a of auths) {
      chain.add(a);
      const sub = chains.get(a);
      if (sub !== undefined) for (const x of sub) chain.add(x);
    }
    chains.set(id, chain);
  }
  return chains.get(eventId)!;
}

/**
 * Every event reachable from `starts` over auth links. `includeStarts` puts the starting events
 * in the result too. `stop` marks events neither entered nor followed (used to cut the walk at
 * an ancestor-closed set whose members are already accounted for). Linear in what it visits.
 */
export function walkAuthAncestors(
  graph: AuthGraph,
  starts: Iterable<string>,
  options: { includeStarts?: boolean; stop?: ReadonlySet<string> } = {},
): Set<string> {
  const seen = new Set<string>();
  const stack: string[] = [];
  const stop = options.stop;
  for (const id of starts) {
    if (stop?.has(id)) continue;
    if (options.includeStarts) {
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(id);
    } else stack.push(id);
  }
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const a of graph.authEvents(id)) {
      if (seen.has(a) || stop?.has(a)) continue;
      seen.add(a);
      stack.push(a);
    }
  }
  return seen;
}

/** The full auth chain of a set of events: the union of their auth chains. */
export function fullAuthChain(graph: AuthGraph, eventIds: Iterable<string>): Set<string> {
  return walkAuthAncestors(graph, eventIds);
}
