import { createHash } from 'node:crypto';
import { checkAuthRules } from '../auth/index.js';
import { stateTupleKey, type RoomEvent, type StateMap, type StateTupleKey } from '../events/room-event.js';
import type { AuthGraph } from './graph.js';
import { separateStateV1 } from './separate.js';

/**
 * Room version 1's state resolution (spec rooms/v1 "State resolution"; known to reset state,
 * which is why v2 replaced it). R starts as the states' union without the conflicting keys, then:
 * power levels, join rules, memberships and finally everything else are resolved, each phase
 * checking against R as the earlier phases left it.
 *
 * Where the spec's prose is loose we follow Synapse's v1.py, which is what v1 rooms were built on:
 * - keys of one phase are resolved independently against R as it was when the phase began (the
 *   membership keys do not see each other's winners), so the outcome does not depend on key order;
 * - a conflicting key whose events we only have one of takes that event unchecked; events we
 *   do not have are left out;
 * - "all other conflicts": if no candidate passes the auth rules, the last one in the order
 *   (lowest depth, then largest sha1) is taken.
 */
export function resolveV1(graph: AuthGraph, stateSets: readonly StateMap[]): StateMap {
  const { unconflicted, conflicted } = separateStateV1(stateSets);
  const resolved: StateMap = new Map(unconflicted);
  const contested = new Map<StateTupleKey, RoomEvent[]>();
  for (const [key, ids] of conflicted) {
    const events: RoomEvent[] = [];
    for (const id of ids) {
      const event = graph.event(id);
      if (event !== undefined) events.push(event);
    }
    if (events.length === 1) resolved.set(key, events[0]!.event_id);
    else if (events.length > 1) contested.set(key, events);
  }
  if (contested.size === 0) return resolved;

  const phases: Array<(type: string) => boolean> = [
    (type) => type === 'm.room.power_levels',
    (type) => type === 'm.room.join_rules',
    (type) => type === 'm.room.member',
  ];
  for (const inPhase of phases) {
    const winners: Array<[StateTupleKey, string]> = [];
    for (const [key, events] of contested) {
      if (!inPhase(events[0]!.type)) continue;
      winners.push([key, resolveAuthConflict(graph, events, resolved)]);
      contested.delete(key);
    }
    for (const [key, id] of winners) resolved.set(key, id);
  }
  const winners: Array<[StateTupleKey, string]> = [];
  for (const [key, events] of contested) winners.push([key, resolveOtherConflict(graph, events, resolved)]);
  for (const [key, id] of winners) resolved.set(key, id);
  return resolved;
}

/**
 * Auth-relevant keys: order by ascending depth then descending sha1(event_id); take the first,
 * then keep stepping to the next while it is allowed by the rules in R with the previous one
 * applied; the last one allowed wins.
 */
function resolveAuthConflict(graph: AuthGraph, events: readonly RoomEvent[], state: StateMap): string {
  const ordered = orderByDepthDescThenSha1(events).reverse();
  let accepted = ordered[0]!;
  for (const next of ordered.slice(1)) {
    const applied = accepted;
    const appliedKey = stateTupleKey(applied.type, applied.state_key!);
    const allowed = checkAuthRules(graph.version, next, (type, stateKey) => {
      const key = stateTupleKey(type, stateKey);
      return key === appliedKey ? applied : lookup(graph, state, key);
    }).allowed;
    if (!allowed) break;
    accepted = next;
  }
  return accepted.event_id;
}

/** Other keys: the highest depth (then lowest sha1) that passes the rules in R. */
function resolveOtherConflict(graph: AuthGraph, events: readonly RoomEvent[], state: StateMap): string {
  const ordered = orderByDepthDescThenSha1(events);
  for (const event of ordered) {
    if (checkAuthRules(graph.version, event, (type, stateKey) => lookup(graph, state, stateTupleKey(type, stateKey))).allowed) {
      return event.event_id;
    }
  }
  return ordered[ordered.length - 1]!.event_id;
}

function lookup(graph: AuthGraph, state: StateMap, key: StateTupleKey): RoomEvent | undefined {
  const id = state.get(key);
  return id === undefined || graph.isRejected(id) ? undefined : graph.event(id);
}

/** Descending depth, then ascending hex sha1 of the UTF-8 event ID (Synapse `_ordered_events`). */
function orderByDepthDescThenSha1(events: readonly RoomEvent[]): RoomEvent[] {
  const sha1 = new Map<RoomEvent, string>();
  for (const event of events) sha1.set(event, createHash('sha1').update(event.event_id, 'utf8').digest('hex'));
  return [...events].sort((a, b) => {
    if (a.depth !== b.depth) return b.depth - a.depth;
    const x = sha1.get(a)!;
    const y = sha1.get(b)!;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
