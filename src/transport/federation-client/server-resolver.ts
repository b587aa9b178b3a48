import { parseServerName, type ServerName } from '../../core/server-name.js';
import { orderSrvRecords, type DnsResolver } from './dns.js';
import type { WellKnownResolver } from './well-known.js';

/**
 * Server discovery (server-server API "Resolving server names"), step by step:
 *   0. federation_address_overrides: the operator's address, no discovery;
 *   1. an IP literal: that address, the given port or 8448;
 *   2. a hostname with an explicit port: that host and port;
 *   3. /.well-known/matrix/server → a delegated name, itself resolved by 3.1 IP literal,
 *      3.2 explicit port, 3.3 SRV _matrix-fed._tcp, 3.4 legacy SRV _matrix._tcp, 3.5 port 8448;
 *   4. SRV _matrix-fed._tcp of the hostname, 5. legacy _matrix._tcp, 6. the hostname on 8448.
 * The result also says what to send as Host (and so as TLS SNI and the certificate name):
 * the server name, the delegated name, or either without its port after an SRV lookup.
 */

export const DEFAULT_FEDERATION_PORT = 8448;

export interface ResolvedServer {
  /** Host header value; its host part (unless an IP literal) is the TLS server name too. */
  readonly hostHeader: string;
  /** Where to connect, best first: hostnames still to look up, or IP literals. */
  readonly targets: readonly { readonly host: string; readonly port: number }[];
  /** Chosen by the operator (an override): private and loopback addresses are allowed. */
  readonly trusted: boolean;
}

export class ServerNameError extends Error {
  override name = 'ServerNameError';
}

export class ServerResolver {
  constructor(
    private readonly dns: DnsResolver,
    private readonly wellKnown: WellKnownResolver,
    private readonly overrides: ReadonlyMap<string, { readonly host: string; readonly port: number }>,
  ) {}

  async resolve(serverName: string): Promise<ResolvedServer> {
    const overridden = this.override(serverName);
    if (overridden) return overridden;
    const parsed = parseServerName(serverName);
    if (!parsed) throw new ServerNameError(`${JSON.stringify(serverName)} is not a server name`);
    const direct = literalOrExplicitPort(serverName, parsed);
    if (direct) return direct;

    const delegated = await this.wellKnown.delegatedServer(parsed.host);
    if (delegated !== undefined) {
      const viaOverride = this.override(delegated);
      if (viaOverride) return viaOverride;
      const d = parseServerName(delegated);
      if (d) {
        const delegatedDirect = literalOrExplicitPort(delegated, d);
        if (delegatedDirect) return delegatedDirect;
        return { hostHeader: d.host, targets: await this.srvOrDefault(d.host), trusted: false };
      }
    }
    return { hostHeader: parsed.host, targets: await this.srvOrDefault(parsed.host), trusted: false };
  }

  private override(name: string): ResolvedServer | undefined {
    const target = this.overrides.get(name);
    return target ? { hostHeader: name, targets: [target], trusted: true } : undefined;
  }

  /** SRV _matrix-fed._tcp, then the deprecated _matrix._tcp, then the host itself on 8448. */
  private async srvOrDefault(hostname: string): Promise<{ host: string; port: number }[]> {
    for (const service of ['_matrix-fed._tcp', '_matrix._tcp']) {
      const records = orderSrvRecords(await this.dns.resolveSrv(`${service}.${hostname}`));
      if (records.length > 0) return records.map((r) => ({ host: r.name.replace(/\.$/, ''), port: r.port }));
    }
    return [{ host: hostname, port: DEFAULT_FEDERATION_PORT }];
  }
}

/** Steps 1/2 (and 3.1/3.2 for a delegated name): no lookups needed beyond A/AAAA. */
function literalOrExplicitPort(name: string, parsed: ServerName): ResolvedServer | undefined {
  if (parsed.kind !== 'dns') return { hostHeader: name, targets: [{ host: parsed.host, port: parsed.port ?? DEFAULT_FEDERATION_PORT }], trusted: false };
  if (parsed.port !== undefined) return { hostHeader: name, targets: [{ host: parsed.host, port: parsed.port }], trusted: false };
  return undefined;
}
