import { splitStateTupleKey, stateTupleKey, type StateMap } from '../../core/events/room-event.js';
import { SNAPSHOT_INTERVAL, type StateDeltaEntry } from '../../storage/state-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { StateReader } from './state-reader.js';

/**
 * Writing state groups (see storage/state-repo.ts): a state event's group is its state-before
 * group plus one key, stored as a one-row delta; a resolved state is stored as the delta
 * against a group it is close to. Once a delta chain reaches SNAPSHOT_INTERVAL the next group
 * is a full snapshot, which bounds the walk "state at event X" needs.
 */
export class StateGroupWriter {
  constructor(
    private readonly storage: Storage,
    private readonly state: StateReader,
  ) {}

  /** A new group: `base` (null: the empty state) plus one key. */
  addKey(roomId: string, eventId: string, base: number | null, type: string, stateKey: string): number {
    const entry: StateDeltaEntry = { type, stateKey, eventId };
    if (base === null) return this.storage.state.createGroup(roomId, eventId, null, 0, [entry]);
    const info = this.storage.state.group(base)!;
    if (info.chainLength + 1 < SNAPSHOT_INTERVAL) {
      return this.storage.state.createGroup(roomId, eventId, base, info.chainLength + 1, [entry]);
    }
    const full = this.state.stateMapOfGroup(base);
    full.set(stateTupleKey(type, stateKey), eventId);
    return this.write(roomId, eventId, full, null);
  }

  /** Writes `state` as a group: the delta against `base` when given (and short enough), else a snapshot. */
  write(roomId: string, eventId: string | null, state: StateMap, base: number | null): number {
    const baseInfo = base === null ? undefined : this.storage.state.group(base);
    if (base === null || !baseInfo || baseInfo.chainLength + 1 >= SNAPSHOT_INTERVAL) {
      return this.storage.state.createGroup(roomId, eventId, null, 0, entriesOf(state));
    }
    const baseState = this.state.stateMapOfGroup(base);
    const delta: StateDeltaEntry[] = [];
    for (const [key, id] of state) {
      if (baseState.get(key) !== id) delta.push(entry(key, id));
    }
    for (const key of baseState.keys()) {
      if (!state.has(key)) delta.push(entry(key, null));
    }
    return this.storage.state.createGroup(roomId, eventId, base, baseInfo.chainLength + 1, delta);
  }
}

function entry(key: Parameters<typeof splitStateTupleKey>[0], eventId: string | null): StateDeltaEntry {
  const [type, stateKey] = splitStateTupleKey(key);
  return { type, stateKey, eventId };
}

function entriesOf(state: StateMap): StateDeltaEntry[] {
  return [...state].map(([key, eventId]) => entry(key, eventId));
}
