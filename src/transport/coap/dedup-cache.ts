/**
 * Message-ID deduplication (RFC 7252 §4.5): a CON may arrive several times when our ACK is lost
 * or slow. node-coap 1.5.0 executes a retransmission that arrives while the handler is still
 * running a second time; here every (endpoint, message ID) is remembered from first receipt:
 * while the request is pending a duplicate is answered with whatever we already sent (the empty
 * ACK of a separate response) or nothing; once finished, with the cached reply datagram, for
 * EXCHANGE_LIFETIME after it finished.
 *
 * Entries live in one Map in insertion order; finishing re-inserts an entry at the end, so the
 * Map stays ordered by expiry and sweeping stops at the first live entry.
 */

export interface Exchange {
  pending: boolean;
  /** The datagram to repeat for a duplicate: piggybacked response, empty ACK, or undefined. */
  reply: Buffer | undefined;
  expiresAt: number;
}

export class DedupCache {
  private readonly entries = new Map<string, Exchange>();

  constructor(
    private readonly lifetimeMs: number,
    /** Bounds memory under a flood of distinct message IDs; the oldest finished entries go first. */
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  lookup(key: string): Exchange | undefined {
    const exchange = this.entries.get(key);
    if (exchange === undefined) return undefined;
    if (!exchange.pending && exchange.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return exchange;
  }

  begin(key: string): Exchange {
    if (this.entries.size >= this.maxEntries) this.evictOldestFinished();
    const exchange: Exchange = { pending: true, reply: undefined, expiresAt: this.now() + this.lifetimeMs };
    this.entries.set(key, exchange);
    return exchange;
  }

  finish(key: string, exchange: Exchange, reply: Buffer | undefined): void {
    exchange.pending = false;
    exchange.reply = reply;
    exchange.expiresAt = this.now() + this.lifetimeMs;
    // Re-insert at the end so the Map stays in expiry order.
    this.entries.delete(key);
    this.entries.set(key, exchange);
  }

  sweep(): void {
    const now = this.now();
    for (const [key, exchange] of this.entries) {
      if (exchange.pending) continue;
      if (exchange.expiresAt > now) break;
      this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  private evictOldestFinished(): void {
    for (const [key, exchange] of this.entries) {
      if (!exchange.pending) {
        this.entries.delete(key);
        return;
      }
    }
  }
}
