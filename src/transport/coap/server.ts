/**
 * The CoAP listener: one UDP socket (udp4 or udp6 by the host's family; `::` is dual-stack)
 * feeding our RFC 7252 message layer, whose requests go through request-handler.ts to the
 * shared dispatcher. `startCoapServer` is what src/homeserver.ts mounts.
 */

import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Block1Assembler } from './block1-assembler.js';
import { Block2Cache } from './block2-cache.js';
import { DEFAULT_TIMING, type CoapTiming } from './constants.js';
import type { Dispatch } from './dispatch-contract.js';
import { endpointOf, isLoopback, type CoapEndpoint } from './endpoint.js';
import { EndpointSessions } from './endpoint-sessions.js';
import { MessageLayer, type CoapLog } from './message-layer.js';
import { ObserveRegistry, type ObserveOptions } from './observe.js';
import type { OscoreContexts } from './oscore-contract.js';
import { withOscore } from './oscore-layer.js';
import { createRequestHandler } from './request-handler.js';

export interface CoapServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly dispatch: Dispatch;
  /** Largest request body accepted, whole or reassembled from Block1 (4.13 + Size1 beyond). Default 128 KiB. */
  readonly maxBodyBytes?: number;
  /** How long a handler may take before a CON gets an empty ACK and a separate response. Default 1000 ms. */
  readonly piggybackWindowMs?: number;
  readonly timing?: Partial<CoapTiming>;
  /**
   * Whether an access token sent by this endpoint may be remembered for its later requests
   * (MSC3079 stickiness). Default: loopback only. Issue 4 passes "has a security session".
   */
  readonly canRememberToken?: (endpoint: CoapEndpoint) => boolean;
  /**
   * OSCORE security contexts (RFC 8613): with them, requests carrying the OSCORE option are
   * verified, decrypted and run as the context's device; without, option 9 is refused (4.02).
   */
  readonly oscore?: OscoreContexts;
  /** RFC 7641 Observe on /sync: bounds, heartbeat, device-deletion events (observe.ts). */
  readonly observe?: ObserveOptions;
  /** With host `::`, also accept IPv4 (default) or not. */
  readonly ipv6Only?: boolean;
  readonly log?: CoapLog;
}

export interface CoapServer {
  readonly address: { readonly host: string; readonly port: number; readonly family: 'udp4' | 'udp6' };
  /** Counters for tests and metrics. */
  stats(): { exchanges: number; outstandingConfirmables: number; running: number; block1Uploads: number; block2Bodies: number; observers: number };
  /** The Observe registrations (tests, metrics). */
  readonly observe: ObserveRegistry;
  close(): Promise<void>;
}

const BLOCKWISE_TTL_MS = 120_000;

export async function startCoapServer(options: CoapServerOptions): Promise<CoapServer> {
  const host = isIP(options.host) !== 0 ? options.host : (await lookup(options.host)).address;
  const type = isIP(host) === 6 ? 'udp6' : 'udp4';
  const socket: Socket = createSocket({ type, ipv6Only: options.ipv6Only ?? false });

  const timing: CoapTiming = { ...DEFAULT_TIMING, ...options.timing };
  const maxBodyBytes = options.maxBodyBytes ?? 128 * 1024;
  const sessions = new EndpointSessions(options.canRememberToken ?? isLoopback, 30 * 60_000, 100_000);
  const block1 = new Block1Assembler(maxBodyBytes, BLOCKWISE_TTL_MS, 1_000, 32 * 1024 * 1024);
  const block2 = new Block2Cache(BLOCKWISE_TTL_MS, 32 * 1024 * 1024);

  // The registry sends through the layer, the layer's handler admits into the registry.
  let layer: MessageLayer | undefined;
  const observe = new ObserveRegistry(
    {
      dispatch: options.dispatch,
      send: (endpoint, token, parts) => layer!.sendNotification(endpoint, token, parts),
      cancel: (endpoint, messageId) => layer?.cancelConfirmable(endpoint, messageId),
      timing,
      ...(options.log === undefined ? {} : { log: options.log }),
    },
    options.observe,
  );
  layer = new MessageLayer({
    transmit: (endpoint, datagram) => socket.send(datagram, endpoint.port, endpoint.socketAddress),
    handler: withOscore(createRequestHandler({ dispatch: options.dispatch, sessions, block1, block2, maxBodyBytes, observe }), options.oscore),
    timing,
    piggybackWindowMs: options.piggybackWindowMs ?? 1_000,
    maxPendingPerEndpoint: 16,
    maxExchanges: 20_000,
    ...(options.log === undefined ? {} : { log: options.log }),
  });

  const messages = layer;
  socket.on('message', (datagram, remote) => messages.receive(datagram, endpointOf(remote.address, remote.port)));
  // ICMP errors surface as socket errors (e.g. ECONNREFUSED after a client went away); never fatal.
  socket.on('error', (error) => options.log?.warn({ err: error }, 'CoAP socket error'));

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });

  const sweeper = setInterval(() => {
    sessions.sweep();
    block1.sweep();
    block2.sweep();
  }, 5_000);
  sweeper.unref();

  const bound = socket.address();
  return {
    address: { host: bound.address, port: bound.port, family: type },
    stats: () => ({ ...messages.stats, block1Uploads: block1.size, block2Bodies: block2.size, observers: observe.size }),
    observe,
    close: async () => {
      clearInterval(sweeper);
      observe.close();
      messages.close();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
