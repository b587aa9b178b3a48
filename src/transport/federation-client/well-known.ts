import { isJsonObject } from '../../core/json.js';
import { isValidServerName } from '../../core/server-name.js';
import type { Clock } from '../../services/clock.js';

/**
 * `/.well-known/matrix/server` lookups with the spec's caching rules: respect Cache-Control,
 * 24 hours when the response says nothing, never more than 48 hours. Like Synapse we also keep
 * a result for at least five minutes whatever max-age says, so a `no-store` peer cannot make us
 * fetch per request. Failures (no file, bad JSON, no valid m.server, network errors) are
 * remembered so discovery falls through to SRV without asking again on every request: two
 * minutes after the first (Synapse's period for a host that recently had a valid file, so a
 * blip is short), doubling with each failure in a row up to an hour (Synapse's period for a
 * host without one); a success starts the count again. Redirects are followed (https only, at
 * most five, no loops).
 */

export const WELL_KNOWN_DEFAULT_CACHE_MS = 24 * 60 * 60 * 1000;
export const WELL_KNOWN_MAX_CACHE_MS = 48 * 60 * 60 * 1000;
export const WELL_KNOWN_MIN_CACHE_MS = 5 * 60 * 1000;
export const WELL_KNOWN_FIRST_ERROR_CACHE_MS = 2 * 60 * 1000;
export const WELL_KNOWN_ERROR_CACHE_MS = 60 * 60 * 1000;
const MAX_REDIRECTS = 5;

export interface WellKnownHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

/** GETs one https URL (through the SSRF guard); throws on network failure. */
export type WellKnownFetch = (url: URL) => Promise<WellKnownHttpResponse>;

interface CacheEntry {
  /** The delegated server name, or undefined when the lookup failed. */
  readonly delegated: string | undefined;
  readonly expiresTs: number;
  /** Failed lookups in a row (0 after a success). */
  readonly failures: number;
}

export class WellKnownResolver {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly fetch: WellKnownFetch,
    private readonly clock: Clock,
    /** Port the file is fetched from: 443 per the spec; tests point it at a local server. */
    private readonly port = 443,
  ) {}

  /** The `m.server` delegation for `hostname`, or undefined when there is none (or it is invalid). */
  async delegatedServer(hostname: string): Promise<string | undefined> {
    const hit = this.cache.get(hostname);
    if (hit && hit.expiresTs > this.clock.now()) return hit.delegated;
    let pending = this.inFlight.get(hostname);
    if (!pending) {
      pending = this.lookup(hostname).finally(() => this.inFlight.delete(hostname));
      this.inFlight.set(hostname, pending);
    }
    return pending;
  }

  private async lookup(hostname: string): Promise<string | undefined> {
    let delegated: string | undefined;
    let cacheMs: number | undefined;
    try {
      const response = await this.fetchFollowingRedirects(hostname);
      if (response.status === 200) {
        delegated = parseWellKnown(response.body);
        if (delegated !== undefined) cacheMs = cachePeriod(response.headers['cache-control']);
      }
    } catch {
      // Unreachable or refused: fall through to SRV, and remember that for a while.
    }
    const failures = delegated === undefined ? (this.cache.get(hostname)?.failures ?? 0) + 1 : 0;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hostname, { delegated, expiresTs: this.clock.now() + (cacheMs ?? failureCachePeriod(failures)), failures });
    return delegated;
  }

  private async fetchFollowingRedirects(hostname: string): Promise<WellKnownHttpResponse> {
    let url = new URL(`https://${hostname.includes(':') ? `[${hostname}]` : hostname}:${this.port}/.well-known/matrix/server`);
    const seen = new Set<string>();
    for (let hop = 0; ; hop++) {
      seen.add(url.href);
      const response = await this.fetch(url);
      if (response.status < 300 || response.status >= 400 || response.status === 304) return response;
      const location = header(response.headers, 'location');
      if (location === undefined || hop >= MAX_REDIRECTS) return response;
      const next = new URL(location, url);
      if (next.protocol !== 'https:' || seen.has(next.href)) return response;
      url = next;
    }
  }
}

function header(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The m.server value of a well-known body, whatever its Content-Type; undefined if invalid. */
export function parseWellKnown(body: Uint8Array): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch {
    return undefined;
  }
  if (!isJsonObject(parsed)) return undefined;
  const server = parsed['m.server'];
  return typeof server === 'string' && isValidServerName(server) ? server : undefined;
}

/** How long to remember that the lookup failed `failures` times in a row (≥ 1). */
export function failureCachePeriod(failures: number): number {
  const doubled = WELL_KNOWN_FIRST_ERROR_CACHE_MS * 2 ** Math.min(Math.max(0, failures - 1), 16);
  return Math.min(WELL_KNOWN_ERROR_CACHE_MS, doubled);
}

/** How long to keep a valid response, from its Cache-Control header. */
export function cachePeriod(cacheControl: string | string[] | undefined): number {
  const value = Array.isArray(cacheControl) ? cacheControl.join(',') : cacheControl;
  let ms = WELL_KNOWN_DEFAULT_CACHE_MS;
  if (value !== undefined) {
    const directives = value.split(',').map((d) => d.trim().toLowerCase());
    const maxAge = directives.map((d) => /^max-age\s*=\s*"?(\d+)"?$/.exec(d)).find((m) => m !== null);
    if (directives.includes('no-store') || directives.includes('no-cache')) ms = 0;
    else if (maxAge) ms = Number(maxAge[1]) * 1000;
  }
  return Math.min(WELL_KNOWN_MAX_CACHE_MS, Math.max(WELL_KNOWN_MIN_CACHE_MS, ms));
}
