import { stateTupleKey, type StateTupleKey } from '../../core/events/room-event.js';
import type { StateEntry } from '../../storage/state-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { TimelineEvent } from '../../storage/timeline-repo.js';

/**
 * Room state at points of the timeline, from state groups (events.state_group is the state
 * after each event): the state before an event, the state at a stream position. Sync uses them
 * for state deltas across gaps, /messages and /context for lazy-loaded members.
 */

export type StateAt = Map<StateTupleKey, StateEntry>;

export class RoomStateAt {
  constructor(private readonly storage: Storage) {}

  /** The state after the room's last event at or before `stream` (empty if there is none). */
  afterStream(roomId: string, stream: number): StateAt {
    const last = this.storage.timeline.lastAtOrBefore(roomId, stream);
    return last ? this.after(last) : new Map();
  }

  after(event: TimelineEvent): StateAt {
    const out: StateAt = new Map();
    if (event.stateGroup === null) return out;
    for (const entry of this.storage.state.stateOfGroup(event.stateGroup)) out.set(stateTupleKey(entry.type, entry.stateKey), entry);
    return out;
  }

  /** The state before `event`: the state after it, with its own key put back as it was. */
  before(event: TimelineEvent): StateAt {
    const out = this.after(event);
    if (event.stateKey !== null) {
      const key = stateTupleKey(event.type, event.stateKey);
      if (event.replacesState === null) out.delete(key);
      else out.set(key, { type: event.type, stateKey: event.stateKey, eventId: event.replacesState });
    }
    return out;
  }

  /** One key of the state before `event`, without loading the whole state. */
  lookupBefore(event: TimelineEvent, type: string, stateKey: string): string | undefined {
    if (event.stateKey === stateKey && event.type === type) return event.replacesState ?? undefined;
    if (event.stateGroup === null) return undefined;
    return this.storage.state.lookupInGroup(event.stateGroup, type, stateKey);
  }

  /** One key of the state after `event`. */
  lookupAfter(event: TimelineEvent, type: string, stateKey: string): string | undefined {
    if (event.stateGroup === null) return undefined;
    return this.storage.state.lookupInGroup(event.stateGroup, type, stateKey);
  }

  /** One key of the state after the room's last event at or before `stream`. */
  lookupAfterStream(roomId: string, stream: number, type: string, stateKey: string): string | undefined {
    const last = this.storage.timeline.lastAtOrBefore(roomId, stream);
    if (!last || last.stateGroup === null) return undefined;
    return this.storage.state.lookupInGroup(last.stateGroup, type, stateKey);
  }
}
