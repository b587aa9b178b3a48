import type { StoredEvent } from '../../../storage/events-repo.js';
import type { Storage } from '../../../storage/storage.js';
import type { RoomServices } from '../../rooms/index.js';

/**
 * History visibility for servers (Synapse's filter_events_for_server): an event is visible to a
 * server unless the room's history_visibility at the event was `invited` or `joined` and none
 * of that server's users was joined (or, for `invited`, invited) at that point. Invisible events
 * are served redacted, not left out, so the DAG the server gets stays connected.
 *
 * One instance answers one request: it caches per state group, since the events of a backfill
 * page mostly share a few.
 */
export class ServerVisibility {
  private readonly byGroup = new Map<number, boolean>();

  constructor(
    private readonly storage: Storage,
    private readonly rooms: RoomServices,
    private readonly origin: string,
  ) {}

  /** Whether the origin may see this event's content. */
  canSee(row: StoredEvent): boolean {
    // Outliers have no state here; what they are (auth and state events) is not history.
    if (row.stateGroup === null) return true;
    let visible = this.byGroup.get(row.stateGroup);
    if (visible === undefined) {
      visible = this.computeForGroup(row.stateGroup);
      this.byGroup.set(row.stateGroup, visible);
    }
    return visible;
  }

  /** Whether a stored event goes out redacted: redacted for real, or invisible to the origin. */
  redacted(row: StoredEvent): boolean {
    return row.redactedBy !== null || !this.canSee(row);
  }

  private computeForGroup(group: number): boolean {
    const visibilityId = this.storage.state.lookupInGroup(group, 'm.room.history_visibility', '');
    const value = visibilityId === undefined ? undefined : this.rooms.loader.roomEvent(visibilityId)?.content.history_visibility;
    const visibility = typeof value === 'string' ? value : 'shared';
    if (visibility !== 'invited' && visibility !== 'joined') return true;
    const suffix = `:${this.origin}`;
    for (const member of this.storage.state.lookupTypeInGroup(group, 'm.room.member')) {
      if (!member.stateKey.endsWith(suffix)) continue;
      const membership = this.rooms.loader.roomEvent(member.eventId)?.content.membership;
      if (membership === 'join') return true;
      if (membership === 'invite' && visibility === 'invited') return true;
    }
    return false;
  }
}
