/**
 * A CoAP endpoint is the peer's transport address (RFC 7252 §1.2: "an entity participating in
 * the CoAP protocol ... identified by IP address and UDP port"). Message IDs, Block1 reassembly,
 * Block2 caches and sticky credentials are all per endpoint.
 */

import { isIPv4 } from 'node:net';

export interface CoapEndpoint {
  /** As the client sees it: IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are unwrapped. */
  readonly address: string;
  readonly port: number;
  /** Stable map key: `1.2.3.4:5683` or `[::1]:5683`. */
  readonly key: string;
  /** The address exactly as the socket reported it; a dual-stack udp6 socket must reply to `::ffff:…`. */
  readonly socketAddress: string;
}

export function endpointOf(address: string, port: number): CoapEndpoint {
  const unwrapped = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  const key = unwrapped.includes(':') ? `[${unwrapped}]:${port}` : `${unwrapped}:${port}`;
  return { address: unwrapped, port, key, socketAddress: address };
}

/** 127.0.0.0/8 and ::1: traffic that never left this machine, so nobody else can spoof or read it. */
export function isLoopback(endpoint: CoapEndpoint): boolean {
  return endpoint.address === '::1' || (isIPv4(endpoint.address) && endpoint.address.startsWith('127.'));
}
