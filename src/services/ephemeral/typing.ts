import type { MembershipsRepo } from '../../storage/memberships-repo.js';
import type { Clock } from '../clock.js';
import { forbidden } from '../errors.js';
import type { Requester } from '../requester.js';
import type { Notifier } from '../notifier.js';

/**
 * Typing notifications: in memory only (they are worthless after a few seconds), with their own
 * stream position. A room's position is bumped whenever its set of typers changes, so an
 * incremental sync sends the full current list for rooms whose position is past its token.
 *
 * Positions must keep growing across restarts (clients keep their sync tokens), but the typers
 * themselves are not worth a disk write each. So the stream starts from the clock at start-up
 * (milliseconds) and counts up one per change: a restart begins past any position handed out
 * before, as long as the previous run averaged under one change per millisecond.
 */

/** How long a typing notification lasts when the client gives no (or a silly) timeout. */
const DEFAULT_TIMEOUT_MS = 30_000;
/** The longest we honour: a client that forgets to stop typing stops after this. */
const MAX_TIMEOUT_MS = 120_000;

interface RoomTyping {
  /** userId → expiry time (clock ms). */
  readonly typers: Map<string, number>;
  position: number;
  timer: NodeJS.Timeout | undefined;
}

/** Told of each local typing change (federation passes it on to the room's other servers). */
export type TypingListener = (roomId: string, userId: string, typing: boolean) => void;

/** How long a typing notification from another server lasts (m.typing carries no timeout). */
const REMOTE_TIMEOUT_MS = 60_000;

export class TypingService {
  private readonly rooms = new Map<string, RoomTyping>();
  private position: number;
  private readonly localListeners: TypingListener[] = [];

  constructor(
    private readonly memberships: MembershipsRepo,
    private readonly clock: Clock,
    private readonly notifier: Notifier,
  ) {
    this.position = clock.now();
  }

  /** The typing stream's current position. */
  currentPosition(): number {
    return this.position;
  }

  /** PUT /rooms/{roomId}/typing/{userId}. */
  set(requester: Requester, roomId: string, userId: string, typing: boolean, timeoutMs: number | undefined): void {
    if (requester.userId !== userId) throw forbidden('Cannot set typing state for another user');
    if (this.memberships.current(roomId, userId)?.membership !== 'join') throw forbidden('You are not joined to this room');
    if (typing) {
      const timeout = Math.min(timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS);
      this.startTyping(roomId, userId, this.clock.now() + timeout);
    } else {
      this.stopTyping(roomId, userId);
    }
    for (const listener of this.localListeners) listener(roomId, userId, typing);
  }

  /**
   * A user of another server typing (an m.typing EDU; federation checked the user belongs to the
   * sending server). Ignored unless the user is joined to the room.
   */
  setRemote(roomId: string, userId: string, typing: boolean): void {
    if (this.memberships.current(roomId, userId)?.membership !== 'join') return;
    if (typing) this.startTyping(roomId, userId, this.clock.now() + REMOTE_TIMEOUT_MS);
    else this.stopTyping(roomId, userId);
  }

  /** Subscribes to local typing changes (after they are applied). */
  onLocalChange(listener: TypingListener): void {
    this.localListeners.push(listener);
  }

  private stopTyping(roomId: string, userId: string): void {
    const room = this.rooms.get(roomId);
    if (!room || !room.typers.delete(userId)) return;
    this.changed(roomId, room);
  }

  /** The room's current typers, after dropping expired ones. */
  typers(roomId: string): string[] {
    const room = this.rooms.get(roomId);
    if (!room) return [];
    this.expire(roomId, room);
    return [...room.typers.keys()];
  }

  /** The room's position: the last time its typers changed (0 if never since start). */
  roomPosition(roomId: string): number {
    const room = this.rooms.get(roomId);
    if (!room) return 0;
    this.expire(roomId, room);
    return room.position;
  }

  private startTyping(roomId: string, userId: string, expiresAt: number): void {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { typers: new Map(), position: 0, timer: undefined };
      this.rooms.set(roomId, room);
    }
    const wasTyping = room.typers.has(userId);
    room.typers.set(userId, expiresAt);
    // Extending a timeout changes nothing a client sees: no new position, no wake-up.
    if (!wasTyping) this.changed(roomId, room);
    this.schedule(roomId, room);
  }

  private changed(roomId: string, room: RoomTyping): void {
    this.position += 1;
    room.position = this.position;
    this.schedule(roomId, room);
    this.notifier.notify({ roomId, stream: 'typing', position: this.position });
  }

  private expire(roomId: string, room: RoomTyping): void {
    const now = this.clock.now();
    let removed = false;
    for (const [userId, expiresAt] of room.typers) {
      if (expiresAt <= now) {
        room.typers.delete(userId);
        removed = true;
      }
    }
    if (removed) this.changed(roomId, room);
  }

  /** One timer per room, for its earliest expiry; unref'd so it never holds the process open. */
  private schedule(roomId: string, room: RoomTyping): void {
    if (room.timer) clearTimeout(room.timer);
    room.timer = undefined;
    if (room.typers.size === 0) return;
    const next = Math.min(...room.typers.values());
    room.timer = setTimeout(() => {
      room.timer = undefined;
      this.expire(roomId, room);
      if (room.typers.size > 0) this.schedule(roomId, room);
    }, Math.max(0, next - this.clock.now()) + 5);
    room.timer.unref();
  }

  /** Clears the timers (shutdown). */
  close(): void {
    for (const room of this.rooms.values()) if (room.timer) clearTimeout(room.timer);
    this.rooms.clear();
  }
}
