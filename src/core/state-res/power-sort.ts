import { roomPower, userLevel, userPowerLevel, type RoomPower } from '../auth/power-levels.js';
import type { RoomEvent } from '../events/room-event.js';
import type { AuthGraph } from './graph.js';
import { compareEventIds, MinHeap } from './order.js';

/**
 * A power event: power levels, join rules, or a kick/ban (a leave or ban whose sender is not its
 * target); events that may take someone's abilities away. The create event counts too: the spec's
 * definition leaves it out, but Synapse and ruma both include it, and it only matters when the
 * create event itself is conflicted (a broken input), where agreeing with them keeps us
 * converging with the rest of the federation.
 */
export function isPowerEvent(event: RoomEvent): boolean {
  if (event.state_key === undefined) return false;
  switch (event.type) {
    case 'm.room.power_levels':
    case 'm.room.join_rules':
    case 'm.room.create':
      return event.state_key === '';
    case 'm.room.member': {
      const membership = event.content.membership;
      return (membership === 'leave' || membership === 'ban') && event.sender !== event.state_key;
    }
    default:
      return false;
  }
}

/**
 * Kahn's algorithm over `graph` (node → the nodes it references, which must come first),
 * choosing at each step the smallest ready node under `compare`: the lexicographically smallest
 * topological order. References to nodes outside the graph are ignored. A heap keeps it
 * O((V + E) log V).
 */
export function lexicographicalTopologicalSort(
  graph: ReadonlyMap<string, Iterable<string>>,
  compare: (a: string, b: string) => number,
): string[] {
  const pending = new Map<string, number>();
  const referrers = new Map<string, string[]>();
  const ready = new MinHeap<string>(compare);
  for (const [node, refs] of graph) {
    let count = 0;
    for (const ref of new Set(refs)) {
      if (!graph.has(ref) || ref === node) continue;
      count++;
      let list = referrers.get(ref);
      if (list === undefined) referrers.set(ref, (list = []));
      list.push(node);
    }
    if (count === 0) ready.push(node);
    else pending.set(node, count);
  }
  const sorted: string[] = [];
  for (let node = ready.pop(); node !== undefined; node = ready.pop()) {
    sorted.push(node);
    for (const referrer of referrers.get(node) ?? []) {
      const left = pending.get(referrer)! - 1;
      if (left === 0) {
        pending.delete(referrer);
        ready.push(referrer);
      } else pending.set(referrer, left);
    }
  }
  // Nodes left pending sit on a cycle, which signed events cannot form; they are dropped rather
  // than looping, so hostile input cannot wedge resolution.
  return sorted;
}

/**
 * The sender's power level as the ordering sees it: from the power levels and create events among
 * the event's *own* auth events (v12: plus the implied create event), not from any resolved
 * state. Without a power levels event the creator has 100 (v12 creators: infinite, always).
 */
export function senderPowerLevel(graph: AuthGraph, eventId: string, cache?: Map<string, RoomPower | null>): number {
  const event = graph.event(eventId);
  if (event === undefined) return 0;
  const powerLevels = graph.authEventOfType(eventId, 'm.room.power_levels');
  // The create event has no auth events, so its own sender gets no creator bonus here (0), as in
  // Synapse; it only ever competes with other roots of the sort.
  const create = graph.authEventOfType(eventId, 'm.room.create');
  if (create === undefined || powerLevels === undefined || cache === undefined) {
    return userPowerLevel(graph.version, event.sender, powerLevels, create);
  }
  // Parsing a power levels event builds a map of its users; big rooms list thousands, so parse
  // each (power levels, create) pair once per sort rather than once per event.
  const key = powerLevels.event_id + '\u0000' + create.event_id;
  let power = cache.get(key);
  if (power === undefined) {
    const built = roomPower(graph.version, powerLevels, create);
    power = 'error' in built ? null : built;
    cache.set(key, power);
  }
  return power === null ? userPowerLevel(graph.version, event.sender, powerLevels, create) : userLevel(power, event.sender);
}

/**
 * Step 1 of the algorithm: the given power events plus the events of their auth chains that are in
 * the full conflicted set, in reverse topological power ordering (earliest first): auth events
 * first; among ready events the sender with the higher power level, then the smaller
 * origin_server_ts, then the smaller event ID.
 *
 * The auth chains are walked through full-conflicted-set events only, as Synapse and ruma do
 * (`_add_event_and_auth_chain_to_graph`); an event of the set that is reachable only through an
 * event outside it is not added. The spec's wording ("events in the auth chain of P which also
 * belong to the full conflicted set") could be read to include those; we follow the
 * implementations the federation runs.
 */
export function reverseTopologicalPowerSort(
  graph: AuthGraph,
  powerEvents: Iterable<string>,
  fullConflictedSet: ReadonlySet<string>,
): string[] {
  const edges = new Map<string, string[]>();
  const stack: string[] = [];
  for (const id of powerEvents) {
    if (edges.has(id) || graph.event(id) === undefined) continue;
    stack.push(id);
    edges.set(id, []);
    while (stack.length > 0) {
      const current = stack.pop()!;
      const refs = edges.get(current)!;
      for (const a of graph.authEvents(current)) {
        if (!fullConflictedSet.has(a) || graph.event(a) === undefined) continue;
        refs.push(a);
        if (!edges.has(a)) {
          edges.set(a, []);
          stack.push(a);
        }
      }
    }
  }

  const powerCache = new Map<string, RoomPower | null>();
  const power = new Map<string, number>();
  const ts = new Map<string, number>();
  for (const id of edges.keys()) {
    power.set(id, senderPowerLevel(graph, id, powerCache));
    ts.set(id, graph.event(id)!.origin_server_ts);
  }
  return lexicographicalTopologicalSort(edges, (a, b) => {
    const pa = power.get(a)!;
    const pb = power.get(b)!;
    // Higher power first. Both may be Infinity (v12 creators): equal, fall through.
    if (pa !== pb) return pa > pb ? -1 : 1;
    const ta = ts.get(a)!;
    const tb = ts.get(b)!;
    if (ta !== tb) return ta < tb ? -1 : 1;
    return compareEventIds(a, b);
  });
}
