/**
 * A bare Observe client on its own UDP socket, for the tests that need to see every datagram and
 * decide per notification whether to ACK it, stay silent (a lost ACK) or answer RST. It speaks
 * the wire format with the transport's own codec (src/transport/coap/message.ts).
 */

import { createSocket, type Socket } from 'node:dgram';
import { decodeBlock, encodeBlock, type BlockValue } from '../../../src/transport/coap/block-option.js';
import { decodeCborBody } from '../../../src/transport/coap/cbor-body.js';
import { decodeMessage, emptyMessage, encodeMessage, type CoapMessage } from '../../../src/transport/coap/message.js';
import { decodeUint, encodeUint, Opt, optionValue, type RawOption } from '../../../src/transport/coap/options.js';

export interface Received {
  readonly datagram: Buffer;
  readonly message: CoapMessage;
  readonly observe: number | undefined;
  readonly maxAge: number | undefined;
  readonly block2: BlockValue | undefined;
  readonly etag: Buffer | undefined;
  readonly size2: number | undefined;
  /** For a CON: 1 for its first arrival, 2 for the first retransmission … */
  readonly transmission?: number;
}

export type AckPolicy = (notification: Received, transmission: number) => 'ack' | 'silent' | 'rst';

export interface RegisterSpec {
  readonly token: Buffer;
  readonly accessToken?: string;
  /** Uri-Path segments; default ['7'] (MSC3079 enum for /sync). */
  readonly path?: readonly string[];
  readonly query?: readonly string[];
  /** Observe option value; default 0 (register). */
  readonly observe?: number;
  readonly extraOptions?: readonly RawOption[];
}

export function received(datagram: Buffer): Received | undefined {
  const decoded = decodeMessage(datagram);
  if (!decoded.ok) return undefined;
  const message = decoded.message;
  const uint = (n: number): number | undefined => {
    const v = optionValue(message.options, n);
    return v === undefined ? undefined : decodeUint(v, 4);
  };
  const block2 = optionValue(message.options, Opt.Block2);
  return {
    datagram,
    message,
    observe: uint(Opt.Observe),
    maxAge: uint(Opt.MaxAge),
    block2: block2 === undefined ? undefined : decodeBlock(block2),
    etag: optionValue(message.options, Opt.ETag),
    size2: uint(Opt.Size2),
  };
}

/** A CBOR (or JSON) body as a plain object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function bodyOf(payload: Buffer): any {
  return decodeCborBody(payload).value;
}

/** The m.room.message bodies in a sync response, in timeline order, across its joined rooms. */
export function messageBodies(sync: Record<string, unknown>): string[] {
  const out: string[] = [];
  const join = ((sync['rooms'] as Record<string, unknown> | undefined)?.['join'] ?? {}) as Record<string, { timeline?: { events?: Array<{ type: string; content: { body?: string } }> } }>;
  for (const room of Object.values(join)) {
    for (const event of room.timeline?.events ?? []) if (event.type === 'm.room.message' && typeof event.content.body === 'string') out.push(event.content.body);
  }
  return out;
}

export class Observer {
  private readonly socket: Socket;
  private readonly inbox: Received[] = [];
  private waiters: Array<() => void> = [];
  /** How many times each CON message ID arrived. */
  readonly transmissions = new Map<number, number>();
  /** Every datagram from the server, in order. */
  readonly log: Received[] = [];
  ackPolicy: AckPolicy = () => 'ack';
  private nextMessageId = Math.floor(Math.random() * 0xffff);

  private constructor(private readonly port: number) {
    this.socket = createSocket('udp4');
    this.socket.on('message', (datagram) => this.onDatagram(datagram));
  }

  static async open(port: number): Promise<Observer> {
    const observer = new Observer(port);
    await new Promise<void>((resolve) => observer.socket.bind(0, '127.0.0.1', resolve));
    return observer;
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  /** Sends a CON request and returns the piggybacked (or separate) response with its token. */
  async request(token: Buffer, options: readonly RawOption[], timeoutMs = 3_000, code = '0.01', payload: Buffer = Buffer.alloc(0)): Promise<Received> {
    const messageId = this.allocateMessageId();
    this.send(encodeMessage({ type: 'CON', code, messageId, token, options: sorted(options), payload }));
    return this.next((r) => r.message.token.equals(token) && r.message.code !== '0.00' && (r.message.type !== 'ACK' || r.message.messageId === messageId), timeoutMs);
  }

  register(spec: RegisterSpec): Promise<Received> {
    return this.request(spec.token, registrationOptions(spec));
  }

  /** GET with Observe: 1 for the same token (RFC 7641 §3.6). */
  deregister(spec: RegisterSpec): Promise<Received> {
    return this.request(spec.token, registrationOptions({ ...spec, observe: 1 }));
  }

  /** The next CON notification for `token` that we have not seen before (retransmissions skipped). */
  notification(token: Buffer, timeoutMs = 3_000): Promise<Received> {
    return this.next((r) => r.message.type === 'CON' && r.message.token.equals(token) && r.transmission === 1, timeoutMs);
  }

  /** Fetches blocks 1.. of a block-wise response with GET + Block2 (a new token each, as libcoap does); checks the ETag. */
  async fetchRest(first: Received, spec: RegisterSpec): Promise<Buffer> {
    const parts = [first.message.payload];
    let block = first.block2!;
    let token = 0x7000;
    while (block.more) {
      const options = registrationOptions(spec).filter((o) => o.number !== Opt.Observe);
      options.push({ number: Opt.Block2, value: encodeBlock({ num: block.num + 1, more: false, szx: block.szx }) });
      const next = await this.request(Buffer.from([token >> 8, token++ & 0xff]), options);
      if (next.message.code !== first.message.code) throw new Error(`block ${block.num + 1}: ${next.message.code}`);
      if (!next.etag?.equals(first.etag!)) throw new Error('ETag changed between blocks');
      parts.push(next.message.payload);
      block = next.block2!;
    }
    return Buffer.concat(parts);
  }

  /** Forgets what arrived so far, waits `ms`, then returns (and consumes) what arrived meanwhile. */
  async drain(ms: number): Promise<Received[]> {
    this.inbox.splice(0);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.inbox.splice(0);
  }

  sendEmpty(type: 'ACK' | 'RST', messageId: number): void {
    this.send(emptyMessage(type, messageId));
  }

  close(): void {
    this.socket.close();
  }

  private async next(match: (r: Received) => boolean, timeoutMs: number): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex(match);
      if (index >= 0) return this.inbox.splice(index, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching datagram within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private onDatagram(datagram: Buffer): void {
    let r = received(datagram);
    if (r === undefined) return;
    if (r.message.type === 'CON') {
      const count = (this.transmissions.get(r.message.messageId) ?? 0) + 1;
      this.transmissions.set(r.message.messageId, count);
      r = { ...r, transmission: count };
      const action = this.ackPolicy(r, count);
      if (action === 'ack') this.sendEmpty('ACK', r.message.messageId);
      else if (action === 'rst') this.sendEmpty('RST', r.message.messageId);
    }
    this.log.push(r);
    this.inbox.push(r);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private send(datagram: Buffer): void {
    this.socket.send(datagram, this.port, '127.0.0.1');
  }

  private allocateMessageId(): number {
    this.nextMessageId = (this.nextMessageId + 1) & 0xffff;
    return this.nextMessageId;
  }
}

export function registrationOptions(spec: RegisterSpec): RawOption[] {
  const options: RawOption[] = [{ number: Opt.Observe, value: encodeUint(spec.observe ?? 0) }];
  for (const segment of spec.path ?? ['7']) options.push({ number: Opt.UriPath, value: Buffer.from(segment, 'utf8') });
  for (const q of spec.query ?? []) options.push({ number: Opt.UriQuery, value: Buffer.from(q, 'utf8') });
  if (spec.accessToken !== undefined) options.push({ number: Opt.AccessToken, value: Buffer.from(spec.accessToken, 'utf8') });
  options.push(...(spec.extraOptions ?? []));
  return options;
}

function sorted(options: readonly RawOption[]): RawOption[] {
  return [...options].sort((a, b) => a.number - b.number);
}
