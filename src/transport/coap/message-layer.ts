/**
 * The RFC 7252 message layer: message types, deduplication, piggybacked and separate responses,
 * pings. It knows nothing about Matrix; requests go to a `RequestHandler` (request-handler.ts)
 * that returns the response code, options and payload, already cut to one block.
 *
 * Why our own and not node-coap's server (measured against coap 1.5.0, see README.md here):
 * it executes a retransmitted CON twice when the handler is async, lets a CoAP ping reach the
 * request handler, never rejects unknown critical options, and keys block-wise state by token.
 *
 *   datagram ─ decodeMessage ─┬─ format error: RST if it was a CON, else drop
 *                             ├─ empty CON (ping) → RST;  empty ACK/RST → Retransmitter
 *                             ├─ response code on CON/NON → RST (we are not waiting for any)
 *                             └─ request ─ DedupCache ─┬─ duplicate → repeat cached reply
 *                                                      └─ new → handler ─┬─ done in time → piggybacked ACK
 *                                                                        └─ slow → empty ACK, later CON response
 */

import type { CoapTiming } from './constants.js';
import { DedupCache } from './dedup-cache.js';
import type { Requester } from './dispatch-contract.js';
import type { NotificationSecurity } from './observe-contract.js';
import type { CoapEndpoint } from './endpoint.js';
import { EMPTY, isRequestCode, isResponseCode, type CoapCode } from './codes.js';
import { decodeMessage, emptyMessage, encodeMessage, type CoapMessage, type MessageType } from './message.js';
import { encodeUint, Opt, type RawOption } from './options.js';
import { Retransmitter, type DeliveryOutcome } from './retransmitter.js';

export interface InboundRequest {
  readonly endpoint: CoapEndpoint;
  readonly message: CoapMessage;
  /** Set by the OSCORE layer (oscore-layer.ts): the device the security context authenticated. */
  readonly requester?: Requester;
  /**
   * Set by the OSCORE layer too: how to protect later messages we originate for this request
   * (Observe notifications, each with our own Partial IV) and where they go (`endpoint` above is
   * the per-context view of the peer; ACKs and RSTs arrive on the plain one).
   */
  readonly security?: NotificationSecurity;
}

/** What a handler answers; the message layer adds type, message ID and token. */
export interface ResponseParts {
  readonly code: CoapCode;
  readonly options: readonly RawOption[];
  readonly payload: Buffer;
  /**
   * The client asked not to get this response (RFC 7967 No-Response): a CON is answered with an
   * empty ACK instead, a NON with nothing.
   */
  readonly suppressed?: boolean;
}

export interface RequestControl {
  /** Aborted when the server closes. */
  readonly signal: AbortSignal;
  /** The answer will take long (a long-poll): acknowledge a CON now and send a separate response. */
  acknowledgeNow(): void;
}

/** Must not throw; a rejection is answered with 5.00. */
export type RequestHandler = (request: InboundRequest, control: RequestControl) => Promise<ResponseParts>;

/** pino-compatible subset. */
export interface CoapLog {
  warn(fields: object, message?: string): void;
  debug?(fields: object, message?: string): void;
}

export interface MessageLayerOptions {
  readonly transmit: (endpoint: CoapEndpoint, datagram: Buffer) => void;
  readonly handler: RequestHandler;
  readonly timing: CoapTiming;
  /** How long a CON's handler may run before we send an empty ACK and answer separately. */
  readonly piggybackWindowMs: number;
  /** Requests one endpoint may have executing at once; beyond that 5.03 with Max-Age 1. */
  readonly maxPendingPerEndpoint: number;
  /** Bound on remembered message IDs (each may hold a ≤ 1152-byte reply). */
  readonly maxExchanges: number;
  readonly log?: CoapLog;
}

export class MessageLayer {
  private readonly dedup: DedupCache;
  private readonly retransmitter: Retransmitter;
  private readonly pendingPerEndpoint = new Map<string, number>();
  private readonly running = new Set<AbortController>();
  private readonly sweeper: NodeJS.Timeout;
  private nextMessageId = Math.floor(Math.random() * 0x10000);
  private closed = false;

  constructor(private readonly options: MessageLayerOptions) {
    this.dedup = new DedupCache(options.timing.exchangeLifetimeMs, options.maxExchanges);
    this.retransmitter = new Retransmitter(options.timing, options.transmit);
    this.sweeper = setInterval(() => this.dedup.sweep(), 5_000);
    this.sweeper.unref();
  }

  /** Counters for tests and metrics. */
  get stats(): { exchanges: number; outstandingConfirmables: number; running: number } {
    return { exchanges: this.dedup.size, outstandingConfirmables: this.retransmitter.size, running: this.running.size };
  }

  receive(datagram: Buffer, endpoint: CoapEndpoint): void {
    if (this.closed) return;
    const decoded = decodeMessage(datagram);
    if (!decoded.ok) {
      // RFC 7252 §4.2/§4.3: reject a malformed CON with RST; silently drop anything else.
      if (decoded.rejectable?.type === 'CON') this.send(endpoint, emptyMessage('RST', decoded.rejectable.messageId));
      return;
    }
    const message = decoded.message;
    if (message.code === EMPTY) {
      if (message.type === 'CON') this.send(endpoint, emptyMessage('RST', message.messageId)); // ping
      else if (message.type === 'ACK') this.retransmitter.settle(endpoint, message.messageId, 'acked');
      else if (message.type === 'RST') this.retransmitter.settle(endpoint, message.messageId, 'reset');
      return;
    }
    if (isRequestCode(message.code) && (message.type === 'CON' || message.type === 'NON')) {
      this.onRequest(endpoint, message);
      return;
    }
    // A response we did not ask for, or a reserved code class: reject if it wants an answer.
    if (message.type === 'CON' || (message.type === 'NON' && isResponseCode(message.code))) {
      this.send(endpoint, emptyMessage('RST', message.messageId));
    }
  }

  /**
   * Sends a confirmable message we originate and retransmits it until ACK/RST/timeout. Used for
   * separate responses; Observe notifications (observe.ts) use `sendNotification`.
   */
  sendConfirmable(endpoint: CoapEndpoint, token: Buffer, parts: ResponseParts): Promise<DeliveryOutcome> {
    return this.sendNotification(endpoint, token, parts).outcome;
  }

  /**
   * `sendConfirmable` that also tells the message ID, so the sender can stop the retransmissions
   * with `cancelConfirmable` (observe.ts: a registration that ends while a notification is out).
   */
  sendNotification(endpoint: CoapEndpoint, token: Buffer, parts: ResponseParts): { readonly messageId: number; readonly outcome: Promise<DeliveryOutcome> } {
    if (this.closed) return { messageId: -1, outcome: Promise.resolve('closed') };
    const messageId = this.allocateMessageId();
    const datagram = this.encodeOrFail({ type: 'CON', messageId, token, ...parts });
    return { messageId, outcome: this.retransmitter.send(endpoint, messageId, datagram) };
  }

  /** Stops retransmitting a CON we sent; its outcome becomes 'closed'. */
  cancelConfirmable(endpoint: CoapEndpoint, messageId: number): void {
    this.retransmitter.cancel(endpoint, messageId);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const controller of this.running) controller.abort();
    this.retransmitter.close();
    this.dedup.clear();
  }

  private onRequest(endpoint: CoapEndpoint, request: CoapMessage): void {
    const key = `${endpoint.key}#${request.messageId}`;
    const seen = this.dedup.lookup(key);
    if (seen !== undefined) {
      // Duplicate: repeat what we said (a NON's duplicate is silently ignored, RFC 7252 §4.5).
      if (request.type === 'CON' && seen.reply !== undefined) this.send(endpoint, seen.reply);
      return;
    }
    const exchange = this.dedup.begin(key);
    const confirmable = request.type === 'CON';

    const pending = this.pendingPerEndpoint.get(endpoint.key) ?? 0;
    if (pending >= this.options.maxPendingPerEndpoint) {
      const busy: ResponseParts = { code: '5.03', options: [{ number: Opt.MaxAge, value: encodeUint(1) }], payload: Buffer.alloc(0) };
      const reply = this.encodeReply(request, busy, confirmable ? { type: 'ACK', messageId: request.messageId } : undefined);
      this.send(endpoint, reply);
      this.dedup.finish(key, exchange, confirmable ? reply : undefined);
      return;
    }
    this.pendingPerEndpoint.set(endpoint.key, pending + 1);

    const controller = new AbortController();
    this.running.add(controller);
    let acknowledged = false;
    const acknowledgeNow = (): void => {
      if (!confirmable || acknowledged || this.closed) return;
      acknowledged = true;
      clearTimeout(piggybackTimer);
      const ack = emptyMessage('ACK', request.messageId);
      exchange.reply = ack; // a duplicate from now on gets the empty ACK again
      this.send(endpoint, ack);
    };
    const piggybackTimer = confirmable ? setTimeout(acknowledgeNow, this.options.piggybackWindowMs) : undefined;

    const respond = (parts: ResponseParts): void => {
      clearTimeout(piggybackTimer);
      this.running.delete(controller);
      const left = (this.pendingPerEndpoint.get(endpoint.key) ?? 1) - 1;
      if (left <= 0) this.pendingPerEndpoint.delete(endpoint.key);
      else this.pendingPerEndpoint.set(endpoint.key, left);
      if (this.closed) return;

      if (parts.suppressed === true) {
        // RFC 7967: no response; a CON still gets its (empty) ACK, which a duplicate gets again.
        const ack = confirmable && !acknowledged ? emptyMessage('ACK', request.messageId) : undefined;
        this.dedup.finish(key, exchange, confirmable ? (ack ?? exchange.reply) : undefined);
        if (ack !== undefined) this.send(endpoint, ack);
      } else if (confirmable && !acknowledged) {
        const reply = this.encodeReply(request, parts, { type: 'ACK', messageId: request.messageId });
        this.dedup.finish(key, exchange, reply);
        this.send(endpoint, reply);
      } else if (confirmable) {
        this.dedup.finish(key, exchange, exchange.reply);
        void this.sendConfirmable(endpoint, request.token, parts).then((outcome) => {
          if (outcome === 'timeout') this.options.log?.warn({ endpoint: endpoint.key, token: request.token.toString('hex') }, 'CoAP separate response was never acknowledged');
        });
      } else {
        this.dedup.finish(key, exchange, undefined);
        this.send(endpoint, this.encodeReply(request, parts, undefined));
      }
    };

    let handled: Promise<ResponseParts>;
    try {
      handled = this.options.handler({ endpoint, message: request }, { signal: controller.signal, acknowledgeNow });
    } catch (error) {
      handled = Promise.reject(error);
    }
    handled.then(respond, (error: unknown) => {
      this.options.log?.warn({ err: error, endpoint: endpoint.key }, 'CoAP request handler failed');
      respond({ code: '5.00', options: [], payload: Buffer.alloc(0) });
    });
  }

  /** A piggybacked ACK (`ack` given) or a NON response with a fresh message ID. */
  private encodeReply(request: CoapMessage, parts: ResponseParts, ack: { type: 'ACK'; messageId: number } | undefined): Buffer {
    const header: { type: MessageType; messageId: number } = ack ?? { type: 'NON', messageId: this.allocateMessageId() };
    return this.encodeOrFail({ ...header, token: request.token, ...parts });
  }

  /** A handler must cut payloads to one block; if something still does not fit, say 5.00 rather than send nothing. */
  private encodeOrFail(message: CoapMessage): Buffer {
    try {
      return encodeMessage(message);
    } catch (error) {
      this.options.log?.warn({ err: error, code: message.code }, 'CoAP response did not fit one datagram');
      return encodeMessage({ ...message, code: '5.00', options: [], payload: Buffer.alloc(0) });
    }
  }

  private allocateMessageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = (this.nextMessageId + 1) & 0xffff;
    return id;
  }

  private send(endpoint: CoapEndpoint, datagram: Buffer): void {
    if (this.closed) return;
    this.options.transmit(endpoint, datagram);
  }
}
