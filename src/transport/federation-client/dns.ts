import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';

/**
 * The DNS questions discovery asks, behind an interface so tests can answer them without a
 * resolver (we never send test traffic beyond loopback). The system implementation caches
 * answers briefly: the outbound queue resolves a destination for every transaction.
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

const NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA', 'ESERVFAIL', 'ENONAME', 'EAI_NONAME', 'EAI_NODATA', 'EAI_AGAIN', 'ECONNREFUSED', 'ETIMEOUT']);

export class SystemDns implements DnsResolver {
  private readonly cache = new Map<string, { readonly value: readonly string[] | readonly SrvRecord[]; readonly expires: number }>();

  constructor(
    private readonly lookupTtlMs = 60_000,
    private readonly srvTtlMs = 10 * 60_000,
  ) {}

  async lookup(hostname: string): Promise<readonly string[]> {
    if (isIP(hostname)) return [hostname];
    return this.cached(`a:${hostname}`, this.lookupTtlMs, async () => {
      const results = await dnsPromises.lookup(hostname, { all: true, verbatim: true });
      return results.map((r) => r.address);
    });
  }

  async resolveSrv(name: string): Promise<readonly SrvRecord[]> {
    return this.cached(`srv:${name}`, this.srvTtlMs, async () => {
      const records = await dnsPromises.resolveSrv(name);
      return records.map((r) => ({ name: r.name, port: r.port, priority: r.priority, weight: r.weight }));
    });
  }

  private async cached<T extends readonly string[] | readonly SrvRecord[]>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit && hit.expires > Date.now()) return hit.value as T;
    let value: T;
    try {
      value = await load();
    } catch (err) {
      if (!NOT_FOUND.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
      value = [] as unknown as T;
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { value, expires: Date.now() + ttlMs });
    return value;
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
