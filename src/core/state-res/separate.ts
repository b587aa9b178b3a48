import type { StateMap, StateTupleKey } from '../events/room-event.js';

export interface SeparatedState {
  /** Keys every state set maps to the same event. */
  readonly unconflicted: StateMap;
  /** The other keys, each with the distinct event IDs the state sets give it. */
  readonly conflicted: Map<StateTupleKey, Set<string>>;
}

/**
 * State res v2 split: a key is unconflicted only when *every* state set has it with the same
 * event; a key missing from some set is conflicted (with the events the other sets give).
 */
export function separateState(stateSets: readonly StateMap[]): SeparatedState {
  const unconflicted: StateMap = new Map();
  const conflicted = new Map<StateTupleKey, Set<string>>();
  if (stateSets.length === 0) return { unconflicted, conflicted };
  const [first, ...rest] = stateSets as [StateMap, ...StateMap[]];

  // Keys of the first set: unconflicted unless some other set differs or lacks it.
  for (const [key, id] of first) {
    let same = true;
    for (const other of rest) {
      if (other.get(key) !== id) {
        same = false;
        break;
      }
    }
    if (same) unconflicted.set(key, id);
    else conflicted.set(key, collect(stateSets, key));
  }
  // Keys the first set lacks are conflicted by definition.
  for (const other of rest) {
    for (const key of other.keys()) {
      if (!first.has(key) && !conflicted.has(key)) conflicted.set(key, collect(stateSets, key));
    }
  }
  return { unconflicted, conflicted };
}

/**
 * Room version 1's split: a conflict is two sets giving *different* events for a key; a key that
 * only some sets have is not a conflict (Synapse v1 `_seperate`, spec v1: "a conflict occurs
 * between states where those states have different event_ids for the same key").
 */
export function separateStateV1(stateSets: readonly StateMap[]): SeparatedState {
  const unconflicted: StateMap = new Map();
  const conflicted = new Map<StateTupleKey, Set<string>>();
  for (const set of stateSets) {
    for (const [key, id] of set) {
      const known = conflicted.get(key);
      if (known !== undefined) {
        known.add(id);
        continue;
      }
      const current = unconflicted.get(key);
      if (current === undefined) unconflicted.set(key, id);
      else if (current !== id) {
        unconflicted.delete(key);
        conflicted.set(key, new Set([current, id]));
      }
    }
  }
  return { unconflicted, conflicted };
}

function collect(stateSets: readonly StateMap[], key: StateTupleKey): Set<string> {
  const ids = new Set<string>();
  for (const set of stateSets) {
    const id = set.get(key);
    if (id !== undefined) ids.add(id);
  }
  return ids;
}
