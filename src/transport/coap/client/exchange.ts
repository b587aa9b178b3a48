/**
 * The client half of the RFC 7252 message layer, just enough for a sensor: one UDP socket,
 * Confirmable requests retransmitted with exponential back-off (§4.2) until the piggybacked
 * response or an empty ACK arrives, separate responses matched by token and acknowledged (a
 * duplicate of one is acknowledged again), RST for anything unexpected. Each request is encoded
 * once, so a retransmission is byte-identical (same message ID, same OSCORE Partial IV) and the
 * server's deduplication recognises it.
 */

import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { CoapTiming } from '../constants.js';
import { DEFAULT_TIMING } from '../constants.js';
import { decodeMessage, emptyMessage, encodeMessage, type CoapMessage } from '../message.js';
import type { RawOption } from '../options.js';

export interface ExchangeOptions {
  readonly host: string;
  readonly port: number;
  readonly timing?: Partial<CoapTiming>;
  /** Bytes of token per request (0..8). Sensors use 0–2 to save bytes. */
  readonly tokenLength?: number;
  /** Every datagram sent and received (byte counting for measurements). */
  readonly onDatagram?: (direction: 'out' | 'in', datagram: Buffer) => void;
}

export interface OutgoingRequest {
  readonly code: string;
  readonly options: readonly RawOption[];
  readonly payload: Buffer;
  readonly confirmable?: boolean;
  /** The request carries No-Response for 2.xx (RFC 7967): an empty ACK is then the whole answer. */
  readonly noResponse?: boolean;
}

export interface IncomingResponse {
  readonly code: string;
  readonly options: readonly RawOption[];
  readonly payload: Buffer;
}

interface Pending {
  readonly messageId: number;
  readonly token: Buffer;
  readonly noResponse: boolean;
  acknowledged: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve(response: IncomingResponse): void;
  reject(error: Error): void;
}

export class CoapTimeoutError extends Error {
  override name = 'CoapTimeoutError';
}

/** How long to wait for a separate response after the empty ACK (a long-poll may take a while). */
const SEPARATE_RESPONSE_WAIT_MS = 120_000;

export class ClientExchange {
  private readonly socket: Socket;
  private readonly timing: CoapTiming;
  private readonly pending = new Map<number, Pending>();
  private readonly byToken = new Map<string, Pending>();
  private nextMessageId = Math.floor(Math.random() * 0x10000);
  private nextToken = Math.floor(Math.random() * 0x10000);
  private ready: Promise<void>;

  constructor(private readonly options: ExchangeOptions) {
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.socket = createSocket(isIP(options.host) === 6 ? 'udp6' : 'udp4');
    this.socket.on('message', (datagram) => this.onDatagram(datagram));
    this.socket.on('error', () => {}); // ICMP unreachable while the server restarts: retransmission copes
    this.ready = new Promise((resolve) => this.socket.bind(0, resolve));
  }

  async send(request: OutgoingRequest): Promise<IncomingResponse> {
    await this.ready;
    const messageId = this.allocateMessageId();
    const token = this.allocateToken();
    const confirmable = request.confirmable ?? true;
    const datagram = encodeMessage({ type: confirmable ? 'CON' : 'NON', code: request.code, messageId, token, options: request.options, payload: request.payload });
    return new Promise<IncomingResponse>((resolve, reject) => {
      const entry: Pending = {
        messageId,
        token,
        noResponse: request.noResponse === true,
        acknowledged: !confirmable,
        timer: undefined,
        resolve: (response) => {
          this.finish(entry);
          resolve(response);
        },
        reject: (error) => {
          this.finish(entry);
          reject(error);
        },
      };
      this.pending.set(messageId, entry);
      this.byToken.set(token.toString('hex'), entry);
      let timeout = this.timing.ackTimeoutMs * (1 + Math.random() * (this.timing.ackRandomFactor - 1));
      let retransmissions = 0;
      const onTimeout = (): void => {
        if (entry.acknowledged) return;
        if (retransmissions >= this.timing.maxRetransmit) {
          entry.reject(new CoapTimeoutError(`no answer to ${request.code} after ${retransmissions} retransmissions`));
          return;
        }
        retransmissions++;
        timeout *= 2;
        entry.timer = setTimeout(onTimeout, timeout);
        this.transmit(datagram);
      };
      entry.timer = setTimeout(onTimeout, confirmable ? timeout : SEPARATE_RESPONSE_WAIT_MS);
      this.transmit(datagram);
    });
  }

  close(): void {
    for (const entry of [...this.pending.values()]) entry.reject(new Error('client closed'));
    this.socket.close();
  }

  private finish(entry: Pending): void {
    clearTimeout(entry.timer);
    this.pending.delete(entry.messageId);
    this.byToken.delete(entry.token.toString('hex'));
  }

  private onDatagram(datagram: Buffer): void {
    this.options.onDatagram?.('in', datagram);
    const decoded = decodeMessage(datagram);
    if (!decoded.ok) return;
    const message = decoded.message;
    if (message.type === 'ACK') {
      const entry = this.pending.get(message.messageId);
      if (entry === undefined) return;
      if (message.code === '0.00' && entry.noResponse) {
        entry.resolve({ code: '0.00', options: [], payload: Buffer.alloc(0) });
        return;
      }
      if (message.code === '0.00') {
        // Separate response follows; stop retransmitting and wait for it.
        entry.acknowledged = true;
        clearTimeout(entry.timer);
        entry.timer = setTimeout(() => entry.reject(new CoapTimeoutError('separate response never came')), SEPARATE_RESPONSE_WAIT_MS);
        return;
      }
      if (message.token.equals(entry.token)) entry.resolve(responseOf(message));
      return;
    }
    if (message.type === 'RST') {
      this.pending.get(message.messageId)?.reject(new Error('request was reset'));
      return;
    }
    // CON or NON response: a separate response (or a duplicate of one we already took).
    const entry = this.byToken.get(message.token.toString('hex'));
    if (message.type === 'CON') this.transmit(entry === undefined && message.code === '0.00' ? emptyMessage('RST', message.messageId) : emptyMessage('ACK', message.messageId));
    if (entry !== undefined && message.code !== '0.00') entry.resolve(responseOf(message));
  }

  private transmit(datagram: Buffer): void {
    this.options.onDatagram?.('out', datagram);
    this.socket.send(datagram, this.options.port, this.options.host);
  }

  private allocateMessageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = (this.nextMessageId + 1) & 0xffff;
    return id;
  }

  /** A counter, big-endian in `tokenLength` bytes: unique among the requests we have outstanding (one at a time for short tokens). */
  private allocateToken(): Buffer {
    const token = Buffer.alloc(Math.min(Math.max(this.options.tokenLength ?? 2, 0), 8));
    let value = this.nextToken++;
    for (let i = token.length - 1; i >= 0; i--) {
      token[i] = value % 256;
      value = Math.floor(value / 256);
    }
    return token;
  }
}

function responseOf(message: CoapMessage): IncomingResponse {
  return { code: message.code, options: message.options, payload: message.payload };
}
