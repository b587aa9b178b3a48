import type { JsonObject, JsonValue } from '../../core/json.js';
import { isJsonObject } from '../../core/json.js';
import { isValidServerName } from '../../core/server-name.js';
import type { FederationQueueRepo, OutboxItem } from '../../storage/federation-queue-repo.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import { FederationHttpError, type FederationClient } from './federation-client.js';

/**
 * The outbound transaction queue. PDUs and EDUs are written to SQLite first (so an acknowledged
 * event reaches every destination even across a crash), then sent per destination as
 * `PUT /_matrix/federation/v1/send/{txnId}` transactions of at most 50 PDUs and 100 EDUs, in
 * enqueue order, one transaction in flight per destination. A failed destination is retried
 * with exponential backoff (persisted, so a restart does not reset it); everything queued
 * meanwhile goes out in order once it answers again. An authenticated request from a peer
 * proves it is up: `peerIsUp` ends its backoff at once.
 */

export const MAX_PDUS_PER_TRANSACTION = 50;
export const MAX_EDUS_PER_TRANSACTION = 100;

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
}

interface DestinationState {
  /** The send loop, while one runs. */
  sending: Promise<void> | undefined;
  /** Set when something was enqueued while the loop ran past its last peek. */
  again: boolean;
  retryTimer: NodeJS.Timeout | undefined;
  abort: AbortController | undefined;
}

export class OutboundQueue {
  private readonly destinations = new Map<string, DestinationState>();
  private running = false;

  constructor(private readonly deps: OutboundQueueDeps) {}

  /**
   * Queues one PDU for each destination; our own server name and names that are not server
   * names (which could never be delivered, and would sit in the queue for good) are skipped.
   */
  enqueuePdu(destinations: Iterable<string>, pdu: JsonObject): void {
    const targets = [...new Set(destinations)].filter((d) => this.deliverable(d));
    if (targets.length === 0) return;
    this.deps.repo.append(targets, 'pdu', JSON.stringify(pdu), this.deps.clock.now());
    for (const d of targets) this.kick(d);
  }

  enqueueEdu(destination: string, edu: Edu): void {
    if (!this.deliverable(destination)) return;
    this.deps.repo.append([destination], 'edu', JSON.stringify(edu), this.deps.clock.now());
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

  /** Items still waiting for `destination`. */
  pendingCount(destination: string): number {
    return this.deps.repo.pendingCount(destination);
  }

  /** Consecutive failures and the next retry time, while the destination is backing off. */
  backoffState(destination: string): { failureCount: number; retryAtTs: number } | undefined {
    return this.deps.repo.backoff(destination);
  }

  private deliverable(destination: string): boolean {
    if (destination === this.deps.serverName) return false;
    if (isValidServerName(destination)) return true;
    this.deps.log.warn({ destination }, 'not queueing for an invalid server name');
    return false;
  }

  private state(destination: string): DestinationState {
    let s = this.destinations.get(destination);
    if (!s) this.destinations.set(destination, (s = { sending: undefined, again: false, retryTimer: undefined, abort: undefined }));
    return s;
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
    const wait = backoff ? backoff.retryAtTs - this.deps.clock.now() : 0;
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

  /** The oldest items, in order, up to the first that would break a per-transaction limit. */
  private nextTransaction(destination: string): OutboxItem[] {
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
      this.deps.repo.transactionDone(destination, last.id);
      this.logPduErrors(destination, response);
      return 'sent';
    } catch (err) {
      if (!this.running) return 'retry-later';
      if (err instanceof FederationHttpError && (err.status === 400 || err.status === 413)) {
        // The peer rejected the transaction itself: sending the same bytes again cannot
        // succeed, and holding them would block everything queued behind them for good.
        this.deps.log.error({ err, destination, txnId }, 'destination rejected a transaction; dropping it');
        this.deps.repo.transactionDone(destination, last.id);
        return 'dropped';
      }
      const failures = (this.deps.repo.backoff(destination)?.failureCount ?? 0) + 1;
      const delay = retryDelayMs(this.deps.backoff, failures, this.deps.random);
      const now = this.deps.clock.now();
      this.deps.repo.setBackoff(destination, failures, now + delay, now, err instanceof Error ? err.message : String(err));
      this.deps.log.info({ destination, failures, retryInMs: delay, error: err instanceof Error ? err.message : String(err) }, 'transaction failed; backing off');
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
