import type { JsonObject } from '../../core/json.js';
import type { PresenceState, StoredPresence } from '../../storage/presence-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import { forbidden, notFound } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Requester } from '../requester.js';
import type { Notifier } from '../notifier.js';

/**
 * Presence (online / unavailable / offline, status_msg, last_active_ago), with Synapse's
 * timers: a user is online while they sync or act, unavailable after 5 minutes without
 * activity, and offline 30 s after their last sync ended. Every change that others can see is
 * a row in the presence table with the next presence stream position; activity alone is
 * written at most once a minute (LAST_ACTIVE_GRANULARITY), as in Synapse, so a busy user does
 * not cost a commit per request.
 */

const IDLE_AFTER_MS = 5 * 60_000;
const SYNC_ONLINE_TIMEOUT_MS = 30_000;
const LAST_ACTIVE_GRANULARITY_MS = 60_000;
const TIMER_INTERVAL_MS = 5_000;
const MAX_STATUS_MSG_CHARS = 1024;

interface Liveness {
  /** Syncs of this user in progress. */
  syncing: number;
  /** When the last of them ended (clock ms). */
  lastSyncEnd: number;
}

/** Told of each presence change of a local user (federation passes it on as m.presence). */
export type PresenceListener = (userId: string) => void;

/** An m.presence update of a user of another server, as federation reads it from the EDU. */
export interface RemotePresence {
  readonly state: PresenceState;
  readonly statusMsg: string | null;
  readonly lastActiveAgo: number;
  readonly currentlyActive: boolean;
}

export class PresenceService {
  private readonly live = new Map<string, Liveness>();
  private timer: NodeJS.Timeout | undefined;
  private readonly localListeners: PresenceListener[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly notifier: Notifier,
    private readonly log: Logger,
  ) {
    // Users left online by the previous run get their timers back (as if they had just synced).
    const now = clock.now();
    for (const p of storage.presence.notOffline()) this.live.set(p.userId, { syncing: 0, lastSyncEnd: now });
    this.timer = setInterval(() => this.tick(), TIMER_INTERVAL_MS);
    this.timer.unref();
  }

  currentPosition(): number {
    return this.storage.streamPositions.current('presence');
  }

  /** PUT /presence/{userId}/status. */
  set(requester: Requester, userId: string, state: PresenceState, statusMsg: string | undefined): void {
    if (requester.userId !== userId) throw forbidden('You cannot set the presence of another user');
    const current = this.storage.presence.get(userId);
    const now = this.clock.now();
    const msg = statusMsg === undefined ? (current?.statusMsg ?? null) : statusMsg.slice(0, MAX_STATUS_MSG_CHARS);
    this.write(userId, {
      state,
      statusMsg: msg,
      lastActiveTs: state === 'online' ? now : (current?.lastActiveTs ?? now),
      currentlyActive: state === 'online',
    });
    if (state !== 'offline' && !this.live.has(userId)) this.live.set(userId, { syncing: 0, lastSyncEnd: now });
  }

  /** GET /presence/{userId}/status: for oneself and users sharing a room. */
  get(requester: Requester, userId: string): JsonObject {
    if (requester.userId !== userId && !this.storage.roomReads.shareARoom(requester.userId, userId)) {
      if (!this.storage.accounts.get(userId)) throw notFound('Unknown user');
      throw forbidden('You are not allowed to see their presence');
    }
    const p = this.storage.presence.get(userId);
    if (!p) {
      if (!this.storage.accounts.get(userId)) throw notFound('Unknown user');
      return { presence: 'offline' };
    }
    return this.content(p);
  }

  /** The m.presence content for a stored row. */
  content(p: StoredPresence): JsonObject {
    const out: JsonObject = { presence: p.state, last_active_ago: Math.max(0, this.clock.now() - p.lastActiveTs) };
    if (p.statusMsg !== null) out['status_msg'] = p.statusMsg;
    if (p.state === 'online') out['currently_active'] = p.currentlyActive;
    return out;
  }

  /**
   * A /sync began. `setPresence` is its set_presence parameter: syncing marks the user online
   * (or unavailable) unless it says offline. Returns a function to call when the sync ends.
   */
  syncStarted(userId: string, setPresence: PresenceState | undefined): () => void {
    if (setPresence === 'offline') return () => {};
    const live = this.live.get(userId) ?? { syncing: 0, lastSyncEnd: 0 };
    live.syncing++;
    this.live.set(userId, live);
    const current = this.storage.presence.get(userId);
    const now = this.clock.now();
    if (setPresence === 'unavailable') {
      if (current?.state !== 'unavailable') this.write(userId, { state: 'unavailable', statusMsg: current?.statusMsg ?? null, lastActiveTs: current?.lastActiveTs ?? now, currentlyActive: false });
    } else if (current === undefined || current.state === 'offline') {
      // Syncing brings a user back from offline (as in Synapse), and counts as activity then; an
      // idle (unavailable) user stays so until they act.
      this.write(userId, { state: 'online', statusMsg: current?.statusMsg ?? null, lastActiveTs: now, currentlyActive: true });
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      live.syncing = Math.max(0, live.syncing - 1);
      live.lastSyncEnd = this.clock.now();
    };
  }

  /** The user did something (typed, sent a receipt ...): they are active, and online, now. */
  userActive(userId: string): void {
    const current = this.storage.presence.get(userId);
    const now = this.clock.now();
    if (current?.state === 'online' && current.currentlyActive && now - current.lastActiveTs < LAST_ACTIVE_GRANULARITY_MS) return;
    this.write(userId, { state: 'online', statusMsg: current?.statusMsg ?? null, lastActiveTs: now, currentlyActive: true });
    if (!this.live.has(userId)) this.live.set(userId, { syncing: 0, lastSyncEnd: now });
  }

  /** Applies the idle and offline timers; runs every few seconds. */
  tick(): void {
    const now = this.clock.now();
    try {
      for (const [userId, live] of this.live) {
        const p = this.storage.presence.get(userId);
        if (!p || p.state === 'offline') {
          this.live.delete(userId);
          continue;
        }
        if (live.syncing === 0 && now - live.lastSyncEnd > SYNC_ONLINE_TIMEOUT_MS) {
          this.write(userId, { state: 'offline', statusMsg: p.statusMsg, lastActiveTs: p.lastActiveTs, currentlyActive: false });
          this.live.delete(userId);
        } else if (p.state === 'online' && now - p.lastActiveTs > IDLE_AFTER_MS) {
          this.write(userId, { state: 'unavailable', statusMsg: p.statusMsg, lastActiveTs: p.lastActiveTs, currentlyActive: false });
        } else if (p.state === 'online' && p.currentlyActive && now - p.lastActiveTs > LAST_ACTIVE_GRANULARITY_MS) {
          this.write(userId, { ...p, currentlyActive: false });
        }
      }
    } catch (err) {
      this.log.error({ err }, 'presence timers failed');
    }
  }

  /**
   * Presence of a user of another server (an m.presence EDU; federation checked the user belongs
   * to the sending server). No timers run for them: their server tells us when it changes.
   */
  setRemote(userId: string, p: RemotePresence): void {
    const statusMsg = p.statusMsg === null ? null : p.statusMsg.slice(0, MAX_STATUS_MSG_CHARS);
    const lastActiveTs = this.clock.now() - Math.max(0, p.lastActiveAgo);
    this.write(userId, { state: p.state, statusMsg, lastActiveTs, currentlyActive: p.currentlyActive }, true);
  }

  /** Subscribes to presence changes of local users (after they are stored). */
  onLocalChange(listener: PresenceListener): void {
    this.localListeners.push(listener);
  }

  private write(userId: string, p: Omit<StoredPresence, 'userId' | 'streamId'>, remote = false): void {
    const position = this.storage.transaction(() => {
      const streamId = this.storage.streamPositions.next('presence');
      this.storage.presence.put({ ...p, userId, streamId });
      return streamId;
    });
    // Everyone who shares a room with the user sees it: those rooms' syncs and the user's own.
    this.notifier.notify({ userIds: [userId], stream: 'presence', position });
    for (const roomId of this.storage.memberships.roomsOfUser(userId, 'join')) this.notifier.notify({ roomId, stream: 'presence', position });
    if (!remote) for (const listener of this.localListeners) listener(userId);
  }

  /** Stops the timers (shutdown). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
