import { isIP, isIPv4, isIPv6 } from 'node:net';
import type { AddressRecord, DnsBackend, DnsResolver, SrvRecord } from '../../../src/transport/federation-client/dns.js';

/**
 * A DNS answered from a table, so discovery tests never ask a real resolver (and never send
 * traffic beyond loopback). Unknown names have no records. Every question is recorded.
 *
 * Used directly it is a DnsResolver (no caching). As the backend of SystemDns it also answers
 * A/AAAA queries, with TTLs, for the names given a TTL in `ttls` (seconds); names without one
 * are known only to `lookup`, like /etc/hosts entries.
 */
export class FakeDns implements DnsResolver, DnsBackend {
  readonly questions: string[] = [];
  constructor(
    private readonly hosts: Record<string, readonly string[]> = {},
    private readonly srv: Record<string, readonly SrvRecord[]> = {},
    private readonly ttls: Record<string, number> = {},
  ) {}

  async lookup(hostname: string): Promise<readonly string[]> {
    this.questions.push(`A ${hostname}`);
    if (isIP(hostname)) return [hostname];
    return this.hosts[hostname] ?? [];
  }

  async resolveSrv(name: string): Promise<readonly SrvRecord[]> {
    this.questions.push(`SRV ${name}`);
    return this.srv[name] ?? [];
  }

  async resolve4(hostname: string): Promise<readonly AddressRecord[]> {
    this.questions.push(`A4 ${hostname}`);
    return this.records(hostname, isIPv4);
  }

  async resolve6(hostname: string): Promise<readonly AddressRecord[]> {
    this.questions.push(`AAAA ${hostname}`);
    return this.records(hostname, isIPv6);
  }

  /** How many times `question` (e.g. "A4 host.test") was asked. */
  asked(question: string): number {
    return this.questions.filter((q) => q === question).length;
  }

  private records(hostname: string, family: (address: string) => boolean): AddressRecord[] {
    const ttl = this.ttls[hostname];
    if (ttl === undefined) return [];
    return (this.hosts[hostname] ?? []).filter(family).map((address) => ({ address, ttl }));
  }
}
