/**
 * Confirmable messages we originate (separate responses and Observe notifications):
 * RFC 7252 §4.2 exponential back-off. The first timeout is random in
 * [ACK_TIMEOUT, ACK_TIMEOUT × ACK_RANDOM_FACTOR] and doubles after each of up to MAX_RETRANSMIT
 * retransmissions. The outcome is settled by the peer's empty ACK or RST, matched on
 * (endpoint, message ID), or by giving up.
 */

import type { CoapTiming } from './constants.js';
import type { CoapEndpoint } from './endpoint.js';

export type DeliveryOutcome = 'acked' | 'reset' | 'timeout' | 'closed';

interface Outstanding {
  readonly endpoint: CoapEndpoint;
  readonly datagram: Buffer;
  timeoutMs: number;
  retransmissions: number;
  timer: NodeJS.Timeout;
  settle(outcome: DeliveryOutcome): void;
}

export class Retransmitter {
  private readonly outstanding = new Map<string, Outstanding>();

  constructor(
    private readonly timing: CoapTiming,
    private readonly transmit: (endpoint: CoapEndpoint, datagram: Buffer) => void,
    private readonly random: () => number = Math.random,
  ) {}

  get size(): number {
    return this.outstanding.size;
  }

  /** Sends `datagram` (a CON with `messageId`) now and until it is acknowledged. */
  send(endpoint: CoapEndpoint, messageId: number, datagram: Buffer): Promise<DeliveryOutcome> {
    const key = `${endpoint.key}#${messageId}`;
    this.outstanding.get(key)?.settle('closed');
    return new Promise<DeliveryOutcome>((resolve) => {
      const initial = this.timing.ackTimeoutMs * (1 + this.random() * (this.timing.ackRandomFactor - 1));
      const entry: Outstanding = {
        endpoint,
        datagram,
        timeoutMs: initial,
        retransmissions: 0,
        timer: setTimeout(() => this.onTimeout(key), initial),
        settle: (outcome) => {
          clearTimeout(entry.timer);
          if (this.outstanding.get(key) === entry) this.outstanding.delete(key);
          resolve(outcome);
        },
      };
      this.outstanding.set(key, entry);
      this.transmit(endpoint, datagram);
    });
  }

  /** An empty ACK or RST arrived; returns false when it matched nothing we are waiting for. */
  settle(endpoint: CoapEndpoint, messageId: number, outcome: 'acked' | 'reset'): boolean {
    const entry = this.outstanding.get(`${endpoint.key}#${messageId}`);
    if (entry === undefined) return false;
    entry.settle(outcome);
    return true;
  }

  /** Stops retransmitting a message we no longer want delivered (an Observe registration that ended); its sender sees 'closed'. */
  cancel(endpoint: CoapEndpoint, messageId: number): void {
    this.outstanding.get(`${endpoint.key}#${messageId}`)?.settle('closed');
  }

  close(): void {
    for (const entry of [...this.outstanding.values()]) entry.settle('closed');
  }

  private onTimeout(key: string): void {
    const entry = this.outstanding.get(key);
    if (entry === undefined) return;
    if (entry.retransmissions >= this.timing.maxRetransmit) {
      entry.settle('timeout');
      return;
    }
    entry.retransmissions++;
    entry.timeoutMs *= 2;
    entry.timer = setTimeout(() => this.onTimeout(key), entry.timeoutMs);
    this.transmit(entry.endpoint, entry.datagram);
  }
}
