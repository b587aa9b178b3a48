import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';
import { systemClock, type Clock } from '../../services/clock.js';

/**
 * The DNS questions discovery asks, behind an interface so tests can answer them without a
 * resolver (we never send test traffic beyond loopback). The system implementation caches
 * answers: the outbound queue resolves a destination for every transaction.
 */

export interface SrvRecord {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

export interface DnsResolver {
  /** A/AAAA: the IP addresses of `hostname` (empty when it has none). */
  lookup(hostname: string): Promise<readonly string[]>;
  /** SRV records of `name` (empty when there are none). */
  resolveSrv(name: string): Promise<readonly SrvRecord[]>;
}

/** An A or AAAA record with the TTL (seconds) its resolver reported. */
export interface AddressRecord {
  readonly address: string;
  readonly ttl: number;
}

/**
 * The raw questions SystemDns caches the answers to: node:dns by default. A name without
 * records may answer empty or throw one of the not-found codes below.
 */
export interface DnsBackend {
  resolve4(hostname: string): Promise<readonly AddressRecord[]>;
  resolve6(hostname: string): Promise<readonly AddressRecord[]>;
  /** The system's getaddrinfo (hosts file, mDNS ...): no TTL. */
  lookup(hostname: string): Promise<readonly string[]>;
  /** node gives SRV answers without their TTL. */
  resolveSrv(name: string): Promise<readonly SrvRecord[]>;
}

export const nodeDnsBackend: DnsBackend = {
  resolve4: (hostname) => dnsPromises.resolve4(hostname, { ttl: true }),
  resolve6: (hostname) => dnsPromises.resolve6(hostname, { ttl: true }),
  lookup: async (hostname) => (await dnsPromises.lookup(hostname, { all: true, verbatim: true })).map((r) => r.address),
  resolveSrv: async (name) => (await dnsPromises.resolveSrv(name)).map((r) => ({ name: r.name, port: r.port, priority: r.priority, weight: r.weight })),
};

export interface SystemDnsOptions {
  readonly backend?: DnsBackend;
  readonly clock?: Clock;
}

/** A/AAAA answers are kept for their TTL, but at least this long (a TTL of 0 would mean a query per transaction)... */
export const DNS_MIN_TTL_MS = 5_000;
/** ... and at most this long, so a record changed with a long TTL still takes effect within the hour. */
export const DNS_MAX_TTL_MS = 60 * 60_000;
/** Addresses from getaddrinfo (no TTL), and "no such name" answers. */
export const DNS_FALLBACK_TTL_MS = 60_000;
/** SRV answers, found or not: node does not give their TTL. */
export const DNS_SRV_TTL_MS = 10 * 60_000;

const NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA', 'ESERVFAIL', 'ENONAME', 'EAI_NONAME', 'EAI_NODATA', 'EAI_AGAIN', 'ECONNREFUSED', 'ETIMEOUT']);

/**
 * The resolver the federation client uses unless told otherwise. Addresses come from A and
 * AAAA queries (IPv4 first), kept for the smallest TTL of the answer within [5 s, 1 h]; a name
 * DNS does not know is then asked of getaddrinfo, so /etc/hosts names still work (kept a
 * minute, having no TTL). SRV answers are kept ten minutes. Failures a resolver reports as "not
 * found" or "unreachable" count as no records, remembered a minute (SRV: ten).
 */
export class SystemDns implements DnsResolver {
  private readonly cache = new Map<string, { readonly value: readonly string[] | readonly SrvRecord[]; readonly expires: number }>();
  private readonly backend: DnsBackend;
  private readonly clock: Clock;

  constructor(options: SystemDnsOptions = {}) {
    this.backend = options.backend ?? nodeDnsBackend;
    this.clock = options.clock ?? systemClock;
  }

  async lookup(hostname: string): Promise<readonly string[]> {
    if (isIP(hostname)) return [hostname];
    return this.cached(`a:${hostname}`, async () => {
      const [v4, v6] = await Promise.all([orNone(this.backend.resolve4(hostname)), orNone(this.backend.resolve6(hostname))]);
      const records = [...v4, ...v6];
      if (records.length > 0) {
        const ttlMs = Math.min(...records.map((r) => (Number.isFinite(r.ttl) ? r.ttl : 0))) * 1000;
        return { value: records.map((r) => r.address), ttlMs: Math.min(DNS_MAX_TTL_MS, Math.max(DNS_MIN_TTL_MS, ttlMs)) };
      }
      return { value: await orNone(this.backend.lookup(hostname)), ttlMs: DNS_FALLBACK_TTL_MS };
    });
  }

  async resolveSrv(name: string): Promise<readonly SrvRecord[]> {
    return this.cached(`srv:${name}`, async () => ({ value: await orNone(this.backend.resolveSrv(name)), ttlMs: DNS_SRV_TTL_MS }));
  }

  private async cached<T extends readonly string[] | readonly SrvRecord[]>(key: string, load: () => Promise<{ value: T; ttlMs: number }>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.clock.now()) return hit.value as T;
    const { value, ttlMs } = await load();
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { value, expires: this.clock.now() + ttlMs });
    return value;
  }
}

/** The answer, or no records when the resolver says the name has none (or cannot be asked). */
async function orNone<T>(answer: Promise<readonly T[]>): Promise<readonly T[]> {
  try {
    return await answer;
  } catch (err) {
    if (NOT_FOUND.has((err as NodeJS.ErrnoException).code ?? '')) return [];
    throw err;
  }
}

/**
 * RFC 2782 order: lowest priority first; within a priority, a weighted random order. A single
 * record whose target is "." says the service is decidedly not available.
 */
export function orderSrvRecords(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  if (records.length === 1 && (records[0]!.name === '.' || records[0]!.name === '')) return [];
  const byPriority = new Map<number, SrvRecord[]>();
  for (const r of records) {
    if (r.name === '.' || r.name === '') continue;
    const list = byPriority.get(r.priority) ?? [];
    list.push(r);
    byPriority.set(r.priority, list);
  }
  const out: SrvRecord[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const remaining = [...byPriority.get(priority)!];
    while (remaining.length > 0) {
      const total = remaining.reduce((sum, r) => sum + r.weight, 0);
      let pick = 0;
      if (total > 0) {
        let point = random() * total;
        pick = remaining.findIndex((r) => (point -= r.weight) < 0);
        if (pick < 0) pick = remaining.length - 1;
      }
      out.push(remaining.splice(pick, 1)[0]!);
    }
  }
  return out;
}
