import { isIPv4, isIPv6 } from 'node:net';

/**
 * Server names (spec appendix "Server name"): `hostname [":" port]`, where hostname is an IPv4
 * literal, a bracketed IPv6 literal or a DNS name. Discovery, X-Matrix and key fetching all need
 * the same split, so it lives here once.
 */

export interface ServerName {
  /** The host without brackets: `example.org`, `1.2.3.4`, `::1`. */
  readonly host: string;
  readonly port: number | undefined;
  readonly kind: 'ipv4' | 'ipv6' | 'dns';
}

const DNS_NAME = /^[A-Za-z0-9.-]{1,255}$/;
const IPV4_SHAPE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Parses a server name; undefined when it does not follow the grammar. */
export function parseServerName(name: string): ServerName | undefined {
  let host: string;
  let portText: string | undefined;
  if (name.startsWith('[')) {
    const close = name.indexOf(']');
    if (close < 0) return undefined;
    host = name.slice(1, close);
    const rest = name.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    portText = rest === '' ? undefined : rest.slice(1);
    if (!/^[0-9A-Fa-f:.]{2,45}$/.test(host) || !isIPv6(host)) return undefined;
  } else {
    const colon = name.lastIndexOf(':');
    host = colon < 0 ? name : name.slice(0, colon);
    portText = colon < 0 ? undefined : name.slice(colon + 1);
    if (!DNS_NAME.test(host)) return undefined;
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return undefined;
    port = Number(portText);
    if (port < 1 || port > 65535) return undefined;
  }
  if (name.startsWith('[')) return { host, port, kind: 'ipv6' };
  // The grammar reads a dotted quad as an IPv4 literal; one that is out of range is invalid,
  // not a DNS name.
  if (IPV4_SHAPE.test(host)) return isIPv4(host) ? { host, port, kind: 'ipv4' } : undefined;
  return { host, port, kind: 'dns' };
}

export function isValidServerName(name: string): boolean {
  return parseServerName(name) !== undefined;
}

/** `host[:port]` with IPv6 bracketed again, as used in Host headers and URLs. */
export function formatHostPort(host: string, port: number | undefined): string {
  const shown = isIPv6(host) ? `[${host}]` : host;
  return port === undefined ? shown : `${shown}:${port}`;
}
