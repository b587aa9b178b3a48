import type { JsonObject, JsonValue } from '../../core/json.js';
import { isJsonObject } from '../../core/json.js';
import { isValidServerName } from '../../core/server-name.js';
import type { FederationQueueRepo, OutboxItem } from '../../storage/federation-queue-repo.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import { FederationHttpError, type FederationClient } from './federation-client.js';
import {
  CATCH_UP_PDU_THRESHOLD,
  ESSENTIAL_EDU_TYPES,
  MAX_QUEUED_PER_DESTINATION,
  queueableEdus,
  redundantStones,
  SHED_FIRST_EDU_TYPES,
  TYPING_STALE_MS,
} from './outbound/queue-policy.js';

/**
 * The outbound transaction queue. PDUs and EDUs are written to SQLite first (so an acknowledged
 * event reaches every destination even across a crash), then sent per destination as
 * `PUT /_matrix/federation/v1/send/{txnId}` transactions of at most 50 PDUs and 100 EDUs, in
 * enqueue order, one transaction in flight per destination. A failed destination is retried
 * with exponential backoff (persisted, so a restart does not reset it). An authenticated
 * request from a peer proves it is up: `peerIsUp` ends its backoff at once.
 *
 * What waits for a destination is bounded, as Synapse bounds it (per_destination_queue.py):
 *
 * - Catch-up. While a destination is backing off, or has more than 50 PDUs queued, it is
 *   "catching up": a room's queued PDUs are collapsed to stepping stones, the oldest, the newest
 *   (our forward extremity there, which Synapse sends alone), and between them one every
 *   CATCH_UP_DEPTH_STRIDE (10) depths. The peer fills each gap with one /get_missing_events,
 *   which walks back from the stone it got; receivers (Synapse, and our inbound/fetch-prev.ts)
 *   ask for 10 events, so stones 10 depths apart bring every event into its DAG, where the
 *   newest event alone would leave a hole bridged by /state_ids. Collapsing happens as PDUs
 *   are queued, and over the whole queue when a send fails and before each catch-up transaction.
 * - EDUs. Typing notifications older than 30 s are dropped before sending (stale). Presence is
 *   coalesced to the newest per user, read receipts to the newest per (room, receipt type, user,
 *   thread), typing to the newest per (room, user): a newer EDU replaces the queued one, at
 *   any time, not only in catch-up. Device-list updates, signing-key updates and to-device
 *   messages are never coalesced, dropped or shed; other EDU types are kept as they are.
 * - A cap. A destination holding more than MAX_QUEUED_PER_DESTINATION (10,000) items sheds the
 *   oldest of: typing, then presence, then receipts, then other non-essential EDUs, then PDUs that
 *   are not their room's newest, logging what it dropped. Essential EDUs and each room's newest
 *   PDU stay even then, so the queue is bounded by rooms shared plus what E2EE must deliver.
 *
 * All of it is rows in federation_outbox, so a restart resumes exactly where this left off.
 */

export const MAX_PDUS_PER_TRANSACTION = 50;
export const MAX_EDUS_PER_TRANSACTION = 100;

/** How often "over the cap with nothing droppable" may be logged per destination. */
const CAP_WARNING_INTERVAL_MS = 60_000;

export interface Edu {
  readonly edu_type: string;
  readonly content: JsonObject;
}

export interface OutboundQueueDeps {
  readonly serverName: string;
  readonly repo: FederationQueueRepo;
  readonly client: FederationClient;
  readonly clock: Clock;
  readonly log: Logger;
  readonly backoff: BackoffPolicy;
  /** Jitter source (tests make it deterministic). */
  readonly random?: () => number;
  /** Items per destination before shedding (MAX_QUEUED_PER_DESTINATION). */
  readonly maxQueuedPerDestination?: number;
}

interface DestinationState {
  /** The send loop, while one runs. */
  sending: Promise<void> | undefined;
  /** Set when something was enqueued while the loop ran past its last peek. */
  again: boolean;
  retryTimer: NodeJS.Timeout | undefined;
  abort: AbortController | undefined;
  /** Items queued, as far as this process counted (re-read before shedding and on failures). */
  count: number | undefined;
  lastCapWarningTs: number;
}

export class OutboundQueue {
  private readonly destinations = new Map<string, DestinationState>();
  private readonly maxQueued: number;
  private running = false;

  constructor(private readonly deps: OutboundQueueDeps) {
    this.maxQueued = deps.maxQueuedPerDestination ?? MAX_QUEUED_PER_DESTINATION;
  }

  /**
   * Queues one PDU for each destination; our own server name and names that are not server
   * names (which could never be delivered, and would sit in the queue for good) are skipped.
   */
  enqueuePdu(destinations: Iterable<string>, pdu: JsonObject): void {
    const targets = [...new Set(destinations)].filter((d) => this.deliverable(d));
    if (targets.length === 0) return;
    const roomId = typeof pdu['room_id'] === 'string' ? pdu['room_id'] : null;
    const depth = typeof pdu['depth'] === 'number' && Number.isSafeInteger(pdu['depth']) ? pdu['depth'] : null;
    this.deps.repo.appendPdu(targets, JSON.stringify(pdu), roomId, depth, this.deps.clock.now());
    for (const d of targets) {
      this.counted(d, 1);
      if (roomId !== null && this.catchingUp(d)) this.collapseNewest(d, roomId);
      this.kick(d);
    }
  }

  /** Queues an EDU (split and keyed per queue-policy.ts: a newer one replaces its queued twin). */
  enqueueEdu(destination: string, edu: Edu): void {
    if (!this.deliverable(destination)) return;
    const units = queueableEdus(edu.edu_type, edu.content);
    const replaced = this.deps.repo.appendEdus(destination, units, this.deps.clock.now());
    this.counted(destination, units.length - replaced);
    this.kick(destination);
  }

  /** Starts sending, beginning with whatever a previous run left queued. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const destination of this.deps.repo.pendingDestinations()) this.kick(destination);
  }

  /** Stops timers and aborts transactions in flight; queued items stay for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    const loops: Promise<void>[] = [];
    for (const state of this.destinations.values()) {
      clearTimeout(state.retryTimer);
      state.retryTimer = undefined;
      state.abort?.abort();
      if (state.sending) loops.push(state.sending);
    }
    await Promise.allSettled(loops);
  }

  /** The peer just proved it is reachable: forget its backoff and send what is queued. */
  peerIsUp(destination: string): void {
    const state = this.destinations.get(destination);
    if (!state?.retryTimer && !this.deps.repo.backoff(destination)) return;
    if (state?.retryTimer) {
      clearTimeout(state.retryTimer);
      state.retryTimer = undefined;
    }
    this.deps.repo.clearBackoff(destination);
    this.kick(destination);
  }

  /** Items still waiting for `destination` (all, or of one kind). */
  pendingCount(destination: string, kind?: 'pdu' | 'edu'): number {
    return this.deps.repo.pendingCount(destination, kind);
  }

  /** Consecutive failures and the next retry time, while the destination is backing off. */
  backoffState(destination: string): { failureCount: number; retryAtTs: number } | undefined {
    return this.deps.repo.backoff(destination);
  }

  /** Whether PDUs for `destination` are collapsed to stepping stones (see the header). */
  catchingUp(destination: string): boolean {
    return this.deps.repo.backoff(destination) !== undefined || this.deps.repo.hasMorePdusThan(destination, CATCH_UP_PDU_THRESHOLD);
  }

  private deliverable(destination: string): boolean {
    if (destination === this.deps.serverName) return false;
    if (isValidServerName(destination)) return true;
    this.deps.log.warn({ destination }, 'not queueing for an invalid server name');
    return false;
  }

  private state(destination: string): DestinationState {
    let s = this.destinations.get(destination);
    if (!s) {
      s = { sending: undefined, again: false, retryTimer: undefined, abort: undefined, count: undefined, lastCapWarningTs: -Infinity };
      this.destinations.set(destination, s);
    }
    return s;
  }

  /** Keeps the item count current after `delta` items came (or went), and enforces the cap. */
  private counted(destination: string, delta: number): void {
    const state = this.state(destination);
    // The first time, the count is read after the change, so the delta is already in it.
    state.count = state.count === undefined ? this.deps.repo.pendingCount(destination) : state.count + delta;
    if (delta > 0 && state.count > this.maxQueued) this.shed(destination, state);
  }

  /** The newest PDU of a room just arrived: the one before it may no longer be a needed stone. */
  private collapseNewest(destination: string, roomId: string): void {
    const rows = this.deps.repo.newestInRoom(destination, roomId, 3).reverse();
    this.counted(destination, -this.deps.repo.remove(destination, redundantStones(rows)));
  }

  /** Collapses every room's queued PDUs for a destination in catch-up. */
  private compact(destination: string): void {
    const byRoom = new Map<string, { id: number; depth: number | null }[]>();
    for (const row of this.deps.repo.queuedPdus(destination)) {
      let list = byRoom.get(row.roomId);
      if (!list) byRoom.set(row.roomId, (list = []));
      list.push(row);
    }
    const drop = [...byRoom.values()].flatMap((rows) => redundantStones(rows));
    if (drop.length === 0) return;
    const removed = this.deps.repo.remove(destination, drop);
    this.counted(destination, -removed);
    this.deps.log.debug({ destination, removed, rooms: byRoom.size }, 'catch-up: collapsed queued PDUs to stepping stones');
  }

  /** Over the cap: drops the most droppable items, oldest first, down to the cap. */
  private shed(destination: string, state: DestinationState): void {
    const exact = this.deps.repo.pendingCount(destination);
    let excess = exact - this.maxQueued;
    const dropped: Record<string, number> = {};
    const note = (what: string, n: number): void => {
      if (n > 0) dropped[what] = n;
      excess -= n;
    };
    for (const eduType of SHED_FIRST_EDU_TYPES) if (excess > 0) note(eduType, this.deps.repo.shedEdus(destination, eduType, excess));
    if (excess > 0) note('other EDUs', this.deps.repo.shedOtherEdus(destination, [...ESSENTIAL_EDU_TYPES, ...SHED_FIRST_EDU_TYPES], excess));
    if (excess > 0) note('PDUs', this.deps.repo.shedPdus(destination, excess));
    state.count = this.maxQueued + Math.max(0, excess);
    if (Object.keys(dropped).length > 0) {
      this.deps.log.warn({ destination, dropped, cap: this.maxQueued }, 'outbound queue over its cap; dropped the oldest droppable items');
    }
    const now = this.deps.clock.now();
    if (excess > 0 && now - state.lastCapWarningTs >= CAP_WARNING_INTERVAL_MS) {
      state.lastCapWarningTs = now;
      this.deps.log.warn({ destination, over: excess, cap: this.maxQueued }, 'outbound queue over its cap with only essential items left; keeping them');
    }
  }

  private kick(destination: string): void {
    if (!this.running) return;
    const state = this.state(destination);
    if (state.sending) {
      state.again = true;
      return;
    }
    if (state.retryTimer) return;
    const backoff = this.deps.repo.backoff(destination);
    // Never longer than the longest interval: a clock set back must not stall a destination.
    const wait = backoff ? Math.min(backoff.retryAtTs - this.deps.clock.now(), this.deps.backoff.maxIntervalMs) : 0;
    if (wait > 0) {
      this.scheduleRetry(destination, state, wait);
      return;
    }
    state.sending = this.sendLoop(destination, state).finally(() => {
      state.sending = undefined;
    });
  }

  private scheduleRetry(destination: string, state: DestinationState, delayMs: number): void {
    state.retryTimer = setTimeout(() => {
      state.retryTimer = undefined;
      this.kick(destination);
    }, delayMs);
    state.retryTimer.unref();
  }

  private async sendLoop(destination: string, state: DestinationState): Promise<void> {
    // Let the enqueuing caller's surrounding work (e.g. its transaction) finish first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (;;) {
      state.again = false;
      if (!this.running) return;
      const items = this.nextTransaction(destination);
      if (items.length === 0) {
        if (state.again) continue;
        return;
      }
      const outcome = await this.send(destination, state, items);
      if (outcome === 'retry-later' || !this.running) return;
    }
  }

  /**
   * The oldest items, in order, up to the first that would break a per-transaction limit, once
   * stale typing is dropped and, in catch-up, the PDUs are collapsed.
   */
  private nextTransaction(destination: string): OutboxItem[] {
    const stale = this.deps.repo.removeOlderEdus(destination, 'm.typing', this.deps.clock.now() - TYPING_STALE_MS);
    if (stale > 0) {
      this.counted(destination, -stale);
      this.deps.log.debug({ destination, dropped: stale }, 'dropped stale typing notifications');
    }
    if (this.catchingUp(destination)) this.compact(destination);
    const candidates = this.deps.repo.peek(destination, MAX_PDUS_PER_TRANSACTION + MAX_EDUS_PER_TRANSACTION);
    const chosen: OutboxItem[] = [];
    let pdus = 0;
    let edus = 0;
    for (const item of candidates) {
      if (item.kind === 'pdu' ? pdus === MAX_PDUS_PER_TRANSACTION : edus === MAX_EDUS_PER_TRANSACTION) break;
      if (item.kind === 'pdu') pdus++;
      else edus++;
      chosen.push(item);
    }
    return chosen;
  }

  private async send(destination: string, state: DestinationState, items: OutboxItem[]): Promise<'sent' | 'dropped' | 'retry-later'> {
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const pdus: JsonValue[] = [];
    const edus: JsonValue[] = [];
    for (const item of items) {
      const value: unknown = JSON.parse(item.json);
      if (isJsonObject(value)) (item.kind === 'pdu' ? pdus : edus).push(value);
    }
    // Deterministic from the items it carries: resending the same items after a restart reuses
    // the id, so a peer that already processed them answers from its transaction cache.
    const txnId = `${first.enqueuedTs}.${first.id}.${last.id}`;
    const abort = new AbortController();
    state.abort = abort;
    try {
      const response = await this.deps.client.request(destination, {
        method: 'PUT',
        path: `/_matrix/federation/v1/send/${encodeURIComponent(txnId)}`,
        body: { origin: this.deps.serverName, origin_server_ts: this.deps.clock.now(), pdus, edus },
        signal: abort.signal,
      });
      this.counted(destination, -this.deps.repo.transactionDone(destination, last.id));
      this.logPduErrors(destination, response);
      return 'sent';
    } catch (err) {
      if (!this.running) return 'retry-later';
      if (err instanceof FederationHttpError && (err.status === 400 || err.status === 413)) {
        // The peer rejected the transaction itself: sending the same bytes again cannot
        // succeed, and holding them would block everything queued behind them for good.
        this.deps.log.error({ err, destination, txnId }, 'destination rejected a transaction; dropping it');
        this.counted(destination, -this.deps.repo.transactionDone(destination, last.id));
        return 'dropped';
      }
      const failures = (this.deps.repo.backoff(destination)?.failureCount ?? 0) + 1;
      const delay = retryDelayMs(this.deps.backoff, failures, this.deps.random);
      const now = this.deps.clock.now();
      this.deps.repo.setBackoff(destination, failures, now + delay, now, err instanceof Error ? err.message : String(err));
      this.deps.log.info({ destination, failures, retryInMs: delay, error: err instanceof Error ? err.message : String(err) }, 'transaction failed; backing off');
      // Now catching up: collapse what is queued, and re-read the count this process keeps.
      this.compact(destination);
      state.count = this.deps.repo.pendingCount(destination);
      this.scheduleRetry(destination, state, delay);
      return 'retry-later';
    } finally {
      state.abort = undefined;
    }
  }

  private logPduErrors(destination: string, response: JsonObject): void {
    const results = response['pdus'];
    if (!isJsonObject(results)) return;
    for (const [eventId, result] of Object.entries(results)) {
      if (isJsonObject(result) && typeof result['error'] === 'string') {
        this.deps.log.warn({ destination, eventId, error: result['error'] }, 'destination rejected a PDU');
      }
    }
  }
}
