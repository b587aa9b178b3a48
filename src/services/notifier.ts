/**
 * The notifier: how writers tell long-polling readers (/sync, and later CoAP Observe) that
 * something they may care about has happened, without readers polling the database.
 *
 * Writers call `notify` AFTER their transaction committed, naming the stream and its new
 * position, and who is concerned: a room (everyone in it) and/or some users (e.g. the target of
 * an invite, who is not in the room yet; the owner of account data).
 *
 * A reader computes its response up to some positions (its `since` vector), finds nothing new,
 * and then awaits `waitForChange(userId, roomIds, since, timeoutMs, signal)`. It resolves true as
 * soon as any stream moved past `since` for that user or one of those rooms, false on timeout or
 * abort. No wake-up is lost between "computed up to since" and "started waiting": the notifier
 * remembers the last position per room and per user for each stream, and waitForChange first
 * compares those with `since`. A spurious wake-up (true, but nothing visible changed) is allowed;
 * the reader then simply computes again.
 *
 * Positions are per stream and must only grow. Streams are named freely ('events' is the
 * events table's stream_ordering; sync adds 'account_data', 'receipts', 'typing', ...). A stream
 * missing from `since` counts as position 0, so readers pass every stream their token holds.
 * Positions remembered per room/user live as long as the process (one small map per key).
 */

export type StreamPositions = Readonly<Record<string, number>>;

export interface Notification {
  /** Everyone who is waiting with this room in their roomIds. */
  readonly roomId?: string;
  /** These users, whatever rooms they wait on. */
  readonly userIds?: readonly string[];
  readonly stream: string;
  readonly position: number;
}

interface Waiter {
  readonly userId: string;
  readonly roomIds: ReadonlySet<string>;
  readonly since: StreamPositions;
  wake(): void;
}

/** Positions last notified per (key, stream); keys are room or user IDs. */
type LastPositions = Map<string, Map<string, number>>;

export class Notifier {
  private readonly byUser = new Map<string, Set<Waiter>>();
  private readonly byRoom = new Map<string, Set<Waiter>>();
  private readonly lastForRoom: LastPositions = new Map();
  private readonly lastForUser: LastPositions = new Map();
  private readonly latest = new Map<string, number>();

  /** Records that `stream` reached `position` for the room and/or users, and wakes their waiters. */
  notify(notification: Notification): void {
    const { roomId, userIds, stream, position } = notification;
    if (position > (this.latest.get(stream) ?? 0)) this.latest.set(stream, position);
    const woken = new Set<Waiter>();
    if (roomId !== undefined) {
      record(this.lastForRoom, roomId, stream, position);
      for (const waiter of this.byRoom.get(roomId) ?? []) if (isNew(waiter.since, stream, position)) woken.add(waiter);
    }
    for (const userId of userIds ?? []) {
      record(this.lastForUser, userId, stream, position);
      for (const waiter of this.byUser.get(userId) ?? []) if (isNew(waiter.since, stream, position)) woken.add(waiter);
    }
    for (const waiter of woken) waiter.wake();
  }

  /** The highest position notified on a stream since start (0 if none). */
  currentPosition(stream: string): number {
    return this.latest.get(stream) ?? 0;
  }

  /**
   * Resolves true once something past `since` happens for the user or one of the rooms, false
   * after timeoutMs or when signal aborts. Resolves at once (true) if it already happened.
   */
  waitForChange(
    userId: string,
    roomIds: Iterable<string>,
    since: StreamPositions,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const rooms = new Set(roomIds);
    if (this.changedSince(userId, rooms, since)) return Promise.resolve(true);
    if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve(false);

    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (changed: boolean): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        remove(this.byUser, userId, waiter);
        for (const roomId of rooms) remove(this.byRoom, roomId, waiter);
        resolve(changed);
      };
      const onAbort = (): void => finish(false);
      const waiter: Waiter = { userId, roomIds: rooms, since, wake: () => finish(true) };
      add(this.byUser, userId, waiter);
      for (const roomId of rooms) add(this.byRoom, roomId, waiter);
      timer = setTimeout(() => finish(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Waiters currently parked (for tests and metrics). */
  get waiting(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  private changedSince(userId: string, rooms: ReadonlySet<string>, since: StreamPositions): boolean {
    const check = (positions: Map<string, number> | undefined): boolean => {
      if (!positions) return false;
      for (const [stream, position] of positions) if (isNew(since, stream, position)) return true;
      return false;
    };
    if (check(this.lastForUser.get(userId))) return true;
    for (const roomId of rooms) if (check(this.lastForRoom.get(roomId))) return true;
    return false;
  }
}

function isNew(since: StreamPositions, stream: string, position: number): boolean {
  return position > (Object.hasOwn(since, stream) ? since[stream]! : 0);
}

function record(last: LastPositions, key: string, stream: string, position: number): void {
  let streams = last.get(key);
  if (!streams) last.set(key, (streams = new Map()));
  if (position > (streams.get(stream) ?? 0)) streams.set(stream, position);
}

function add(index: Map<string, Set<Waiter>>, key: string, waiter: Waiter): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(waiter);
}

function remove(index: Map<string, Set<Waiter>>, key: string, waiter: Waiter): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(waiter);
  if (set.size === 0) index.delete(key);
}
