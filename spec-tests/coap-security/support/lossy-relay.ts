/**
 * A UDP relay on loopback that loses and duplicates datagrams, deterministically (seeded PRNG):
 * client ⇄ relay ⇄ server. Each direction drops with probability `drop` but never more than
 * `maxConsecutiveDrops` datagrams in a row (so a client with enough retransmissions always gets
 * through, and a test cannot fail by bad luck), and duplicates with probability `duplicate`
 * (the copy arrives `duplicateDelayMs` later, possibly after the original was answered).
 */

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface LossyRelayOptions {
  readonly serverPort: number;
  readonly seed: number;
  readonly drop: number;
  readonly duplicate: number;
  readonly maxConsecutiveDrops: number;
  readonly duplicateDelayMs: number;
}

export interface RelayStats {
  forwarded: number;
  dropped: number;
  duplicated: number;
}

/** mulberry32: small, fast, and the same sequence on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class LossyRelay {
  readonly stats: RelayStats = { forwarded: 0, dropped: 0, duplicated: 0 };
  private readonly socket: Socket;
  private readonly upstream: Socket;
  private readonly random: () => number;
  private client: RemoteInfo | undefined;
  private readonly consecutive = { up: 0, down: 0 };
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly options: LossyRelayOptions) {
    this.random = prng(options.seed);
    this.socket = createSocket('udp4');
    this.upstream = createSocket('udp4');
    // client → relay → server
    this.socket.on('message', (datagram, remote) => {
      this.client = remote;
      this.forward('up', datagram, (d) => this.upstream.send(d, options.serverPort, '127.0.0.1'));
    });
    // server → relay → client
    this.upstream.on('message', (datagram) => {
      const client = this.client;
      if (client !== undefined) this.forward('down', datagram, (d) => this.socket.send(d, client.port, client.address));
    });
  }

  static async start(options: LossyRelayOptions): Promise<LossyRelay> {
    const relay = new LossyRelay(options);
    await Promise.all([
      new Promise<void>((resolve) => relay.socket.bind(0, '127.0.0.1', resolve)),
      new Promise<void>((resolve) => relay.upstream.bind(0, '127.0.0.1', resolve)),
    ]);
    return relay;
  }

  get port(): number {
    return this.socket.address().port;
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.socket.close();
    this.upstream.close();
  }

  private forward(direction: 'up' | 'down', datagram: Buffer, send: (d: Buffer) => void): void {
    if (this.random() < this.options.drop && this.consecutive[direction] < this.options.maxConsecutiveDrops) {
      this.consecutive[direction]++;
      this.stats.dropped++;
      return;
    }
    this.consecutive[direction] = 0;
    this.stats.forwarded++;
    send(datagram);
    if (this.random() < this.options.duplicate) {
      this.stats.duplicated++;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        send(datagram);
      }, this.options.duplicateDelayMs * this.random());
      this.timers.add(timer);
    }
  }
}
