import type { AuthStateLookup } from '../../core/auth/index.js';
import { stateTupleKey, type StateMap } from '../../core/events/room-event.js';
import type { RoomVersion } from '../../core/room-versions.js';
import { resolveState } from '../../core/state-res/index.js';
import type { StateEntry } from '../../storage/state-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { EventLoader } from './event-loader.js';

/**
 * Reading room state: the current state (one indexed row per key), the state of a state group
 * (the state after some event), and the resolution of several groups where the DAG forks.
 * Lookups by key never load a whole state; whole states are loaded only to resolve forks or to
 * answer /state.
 */
export class StateReader {
  constructor(
    private readonly storage: Storage,
    private readonly events: EventLoader,
  ) {}

  /** The current state, as the auth rules look things up. */
  currentLookup(roomId: string): AuthStateLookup {
    return (type, stateKey) => {
      const eventId = this.storage.state.current(roomId, type, stateKey);
      return eventId === undefined ? undefined : this.events.acceptedRoomEvent(eventId);
    };
  }

  /** The state of a group (null: the empty state before a create event). */
  groupLookup(group: number | null): AuthStateLookup {
    if (group === null) return () => undefined;
    return (type, stateKey) => {
      const eventId = this.storage.state.lookupInGroup(group, type, stateKey);
      return eventId === undefined ? undefined : this.events.acceptedRoomEvent(eventId);
    };
  }

  /** A state map as a lookup (for a state the caller already holds, e.g. from federation). */
  mapLookup(state: StateMap): AuthStateLookup {
    return (type, stateKey) => {
      const eventId = state.get(stateTupleKey(type, stateKey));
      return eventId === undefined ? undefined : this.events.acceptedRoomEvent(eventId);
    };
  }

  stateMapOfGroup(group: number | null): StateMap {
    return group === null ? new Map() : toStateMap(this.storage.state.stateOfGroup(group));
  }

  currentStateMap(roomId: string): StateMap {
    return toStateMap(this.storage.state.currentOfRoom(roomId));
  }

  /** The state where these groups meet, by the room version's state resolution. */
  resolveGroups(version: RoomVersion, groups: readonly (number | null)[]): StateMap {
    const unique = [...new Set(groups)];
    if (unique.length === 1) return this.stateMapOfGroup(unique[0]!);
    return this.resolveMaps(version, unique.map((group) => this.stateMapOfGroup(group)));
  }

  resolveMaps(version: RoomVersion, states: readonly StateMap[]): StateMap {
    return resolveState(version, states, (id) => this.events.roomEvent(id), {
      isRejected: (id) => this.events.load(id)?.rejected ?? false,
    });
  }
}

export function toStateMap(entries: readonly StateEntry[]): StateMap {
  const map: StateMap = new Map();
  for (const entry of entries) map.set(stateTupleKey(entry.type, entry.stateKey), entry.eventId);
  return map;
}
