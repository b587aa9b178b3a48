import type { Storage } from '../../storage/storage.js';
import { forbidden } from '../errors.js';
import type { EventLoader } from './event-loader.js';

/**
 * Who may read a room's state and members (GET /state, /members, /joined_members,
 * /aliases): members read the current state; users who left or were banned read the state as it
 * was at their leaving; anyone reads a world_readable room's current state. Everyone else gets
 * M_FORBIDDEN, whether or not the room exists, so that the answer reveals nothing.
 */

/** Which state a reader sees: the current one, or a state group (the state at their leaving). */
export type StateView = { readonly kind: 'current' } | { readonly kind: 'group'; readonly group: number | null };

export class RoomAccess {
  constructor(
    private readonly storage: Storage,
    private readonly events: EventLoader,
  ) {}

  /** The user's current membership, or undefined. */
  membership(roomId: string, userId: string): string | undefined {
    return this.storage.memberships.current(roomId, userId)?.membership;
  }

  isJoined(roomId: string, userId: string): boolean {
    return this.membership(roomId, userId) === 'join';
  }

  requireJoined(roomId: string, userId: string): void {
    if (!this.isJoined(roomId, userId)) throw forbidden(`User ${userId} is not in room ${roomId}`);
  }

  /** The room's current history_visibility ('shared' when unset). */
  historyVisibility(roomId: string): string {
    const eventId = this.storage.state.current(roomId, 'm.room.history_visibility', '');
    const value = eventId === undefined ? undefined : this.events.roomEvent(eventId)?.content.history_visibility;
    return typeof value === 'string' ? value : 'shared';
  }

  isWorldReadable(roomId: string): boolean {
    return this.historyVisibility(roomId) === 'world_readable';
  }

  /** Joined members, or anyone for a world_readable room. */
  requireJoinedOrWorldReadable(roomId: string, userId: string): void {
    if (!this.isJoined(roomId, userId) && !this.isWorldReadable(roomId)) {
      throw forbidden(`User ${userId} is not in room ${roomId}`);
    }
  }

  /** Which state `userId` may read (see the file comment). */
  stateView(roomId: string, userId: string): StateView {
    const member = this.storage.memberships.current(roomId, userId);
    if (member?.membership === 'join' || this.isWorldReadable(roomId)) return { kind: 'current' };
    if (member && (member.membership === 'leave' || member.membership === 'ban')) {
      const row = this.storage.events.get(member.eventId);
      if (row) return { kind: 'group', group: row.stateGroup };
    }
    throw forbidden(`User ${userId} is not in room ${roomId} and was never in it`);
  }
}
