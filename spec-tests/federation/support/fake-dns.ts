import { isIP } from 'node:net';
import type { DnsResolver, SrvRecord } from '../../../src/transport/federation-client/dns.js';

/**
 * A DNS answered from a table, so discovery tests never ask a real resolver (and never send
 * traffic beyond loopback). Unknown names have no records. Every question is recorded.
 */
export class FakeDns implements DnsResolver {
  readonly questions: string[] = [];
  constructor(
    private readonly hosts: Record<string, readonly string[]> = {},
    private readonly srv: Record<string, readonly SrvRecord[]> = {},
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
}
