/**
 * A bare UDP CoAP peer for message-layer tests: sends exact datagrams (so a duplicate really is
 * the same bytes) and reads back what the server sends, parsed with coap-packet.
 */

import { createSocket, type Socket } from 'node:dgram';
import { generate, parse, type ParsedPacket, type Packet } from 'coap-packet';

export interface Received {
  readonly raw: Buffer;
  readonly packet: ParsedPacket;
}

export class RawPeer {
  private readonly socket: Socket;
  private readonly inbox: Received[] = [];
  private waiters: Array<() => void> = [];

  private constructor(
    family: 'udp4' | 'udp6',
    private readonly host: string,
    private readonly port: number,
  ) {
    this.socket = createSocket(family);
    this.socket.on('message', (raw) => {
      this.inbox.push({ raw, packet: parse(raw) });
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }

  static async open(host: string, port: number): Promise<RawPeer> {
    const peer = new RawPeer(host.includes(':') ? 'udp6' : 'udp4', host, port);
    await new Promise<void>((resolve) => peer.socket.bind(0, host, resolve));
    return peer;
  }

  send(datagram: Buffer): void {
    this.socket.send(datagram, this.port, this.host);
  }

  /** Builds with coap-packet and sends; returns the exact bytes so a test can resend them. */
  sendPacket(packet: Packet): Buffer {
    const datagram = generate(packet);
    this.send(datagram);
    return datagram;
  }

  /** The next datagram from the server, or a rejection after `timeoutMs`. */
  async next(timeoutMs = 2_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const received = this.inbox.shift();
      if (received !== undefined) return received;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no datagram within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits `ms` and returns everything that arrived (for "nothing else was sent" checks). */
  async drain(ms: number): Promise<Received[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.inbox.splice(0);
  }

  close(): void {
    this.socket.close();
  }
}

export function option(packet: ParsedPacket, name: string | number): Buffer | undefined {
  return packet.options.find((o) => String(o.name) === String(name))?.value;
}

export function uint(value: Buffer | undefined): number | undefined {
  if (value === undefined) return undefined;
  let n = 0;
  for (const byte of value) n = n * 256 + byte;
  return n;
}
