import { splitStateTupleKey, type RoomEvent, type StateMap } from '../../core/events/room-event.js';
import type { RoomVersion } from '../../core/room-versions.js';
import type { Storage } from '../../storage/storage.js';
import type { EventLoader } from './event-loader.js';
import type { StateGroupWriter } from './state-groups.js';
import type { StateReader } from './state-reader.js';

/**
 * The room's forward extremities and current state, moved on by each accepted event. Current
 * state is the resolution of the extremities' states; rooms.current_state_group names a group
 * equal to it, so local events are built on it without loading it.
 */
export class CurrentStateWriter {
  constructor(
    private readonly storage: Storage,
    private readonly events: EventLoader,
    private readonly state: StateReader,
    private readonly groups: StateGroupWriter,
  ) {}

  /**
   * The event becomes a forward extremity (unless a known event already follows it: backfill),
   * replacing its prev events. When it is then the only extremity and was built on the current
   * state (the usual case), one key changes, or none; otherwise the current state becomes the
   * state after it, or the resolution of the extremities' states, and is rewritten by difference.
   */
  advance(event: RoomEvent, version: RoomVersion, afterGroup: number, builtOnCurrent: boolean, local: boolean): void {
    const roomId = event.room_id;
    for (const prev of event.prev_events) this.storage.events.removeForwardExtremity(roomId, prev);
    // Nothing can follow a local event we just made; a remote one may fill a gap (backfill).
    if (local || this.storage.events.childrenOf(event.event_id).length === 0) {
      this.storage.events.addForwardExtremity(roomId, event.event_id);
    }

    const extremities = this.storage.events.forwardExtremities(roomId);
    const onlyExtremity = extremities.length === 1 && extremities[0]!.eventId === event.event_id;
    if (onlyExtremity && builtOnCurrent) {
      if (event.state_key !== undefined) {
        this.set(roomId, event.type, event.state_key, event.event_id);
        this.storage.rooms.setCurrentStateGroup(roomId, afterGroup);
      }
      return;
    }

    let newState: StateMap;
    let newGroup: number;
    if (onlyExtremity) {
      newGroup = afterGroup;
      newState = this.state.stateMapOfGroup(afterGroup);
    } else {
      const groups = this.storage.events.getMany(extremities.map((x) => x.eventId)).map((row) => row.stateGroup);
      newState = this.state.resolveGroups(version, groups);
      newGroup = this.groups.write(roomId, null, newState, afterGroup);
    }
    const current = this.state.currentStateMap(roomId);
    for (const [key, id] of newState) {
      if (current.get(key) === id) continue;
      const [type, stateKey] = splitStateTupleKey(key);
      this.set(roomId, type, stateKey, id);
    }
    for (const key of current.keys()) {
      if (newState.has(key)) continue;
      const [type, stateKey] = splitStateTupleKey(key);
      this.storage.state.removeCurrent(roomId, type, stateKey);
    }
    this.storage.rooms.setCurrentStateGroup(roomId, newGroup);
  }

  /** One current-state row, with the membership copied out of member events. */
  set(roomId: string, type: string, stateKey: string, eventId: string): void {
    let membership: string | null = null;
    if (type === 'm.room.member') {
      const value = this.events.roomEvent(eventId)?.content.membership;
      membership = typeof value === 'string' ? value : null;
    }
    this.storage.state.setCurrent(roomId, type, stateKey, eventId, membership);
  }
}
