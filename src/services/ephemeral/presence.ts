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
 *
 * Those timers are for our users only. A user of another server keeps what their server last
 * told us, across restarts too, with one exception (Synapse's FEDERATION_TIMEOUT): no update
 * for 30 minutes and they are marked offline, their server presumably gone. In turn our users
 * who are not offline are announced again every 25 minutes even when nothing changed
 * (FEDERATION_PING_INTERVAL), so other servers applying that rule do not time them out.
 */

const IDLE_AFTER_MS = 5 * 60_000;
const SYNC_ONLINE_TIMEOUT_MS = 30_000;
const LAST_ACTIVE_GRANULARITY_MS = 60_000;
/** A remote user not updated for this long is offline (Synapse's FEDERATION_TIMEOUT). */
export const FEDERATION_TIMEOUT_MS = 30 * 60_000;
/** Our online users are announced to other servers at least this often (FEDERATION_PING_INTERVAL). */
export const FEDERATION_PING_INTERVAL_MS = 25 * 60_000;
const TIMER_INTERVAL_MS = 5_000;
const MAX_STATUS_MSG_CHARS = 1024;

interface Liveness {
  /** Syncs of this user in progress. */
  syncing: number;
  /** When the last of them ended (clock ms). */
  lastSyncEnd: number;
  /** When other servers were last told of this user's presence (clock ms). */
  lastAnnounced: number;
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
  /** Our users who are not offline, with their timers. */
  private readonly live = new Map<string, Liveness>();
  /** Users of other servers who are not offline: when their server last told us (clock ms). */
  private readonly remoteUpdated = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly localListeners: PresenceListener[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly notifier: Notifier,
    private readonly log: Logger,
  ) {
    // Our users left online by the previous run get their timers back (as if they had just
    // synced). Remote users keep what their server said; the 30-minute rule counts from now,
    // as their server may have told us just before we stopped.
    const now = clock.now();
    for (const p of storage.presence.notOffline()) {
      if (storage.accounts.get(p.userId)) this.live.set(p.userId, { syncing: 0, lastSyncEnd: now, lastAnnounced: now });
      else this.remoteUpdated.set(p.userId, now);
    }
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
    if (state !== 'offline' && !this.live.has(userId)) this.live.set(userId, { syncing: 0, lastSyncEnd: now, lastAnnounced: now });
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
    const live = this.live.get(userId) ?? { syncing: 0, lastSyncEnd: 0, lastAnnounced: this.clock.now() };
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
    if (!this.live.has(userId)) this.live.set(userId, { syncing: 0, lastSyncEnd: now, lastAnnounced: now });
  }

  /** Applies the idle and offline timers, and the federation rules; runs every few seconds. */
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
        } else if (now - live.lastAnnounced > FEDERATION_PING_INTERVAL_MS) {
          live.lastAnnounced = now;
          this.announce(userId);
        }
      }
      for (const [userId, updated] of this.remoteUpdated) {
        const p = this.storage.presence.get(userId);
        if (!p || p.state === 'offline') this.remoteUpdated.delete(userId);
        else if (now - updated > FEDERATION_TIMEOUT_MS) {
          this.write(userId, { state: 'offline', statusMsg: p.statusMsg, lastActiveTs: p.lastActiveTs, currentlyActive: false }, true);
          this.remoteUpdated.delete(userId);
        }
      }
    } catch (err) {
      this.log.error({ err }, 'presence timers failed');
    }
  }

  /**
   * Presence of a user of another server (an m.presence EDU; federation checked the user belongs
   * to the sending server). No local timers run for them: their server tells us when it
   * changes, and `tick` only applies the 30-minute silence rule.
   */
  setRemote(userId: string, p: RemotePresence): void {
    const statusMsg = p.statusMsg === null ? null : p.statusMsg.slice(0, MAX_STATUS_MSG_CHARS);
    const now = this.clock.now();
    const lastActiveTs = now - Math.max(0, p.lastActiveAgo);
    this.write(userId, { state: p.state, statusMsg, lastActiveTs, currentlyActive: p.currentlyActive }, true);
    if (p.state === 'offline') this.remoteUpdated.delete(userId);
    else this.remoteUpdated.set(userId, now);
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
    if (remote) return;
    const live = this.live.get(userId);
    if (live) live.lastAnnounced = this.clock.now();
    this.announce(userId);
  }

  /** Tells the listeners (federation) of a local user's presence as stored. */
  private announce(userId: string): void {
    for (const listener of this.localListeners) listener(userId);
  }

  /** Stops the timers (shutdown). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
