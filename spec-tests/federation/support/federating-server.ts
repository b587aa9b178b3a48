import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Agent } from 'undici';
import { parseConfigFile, resolveConfig, type ConfigFile, type HomeserverConfig } from '../../../src/config.js';
import { createHomeserver, type Homeserver } from '../../../src/homeserver.js';
import { TestClient } from '../../support/client.js';
import { GENEROUS_LIMITS, makeTempDir, TestClock } from '../../support/server.js';
import { FakeDns } from './fake-dns.js';
import type { TestCa } from './test-ca.js';

/**
 * A real Lattice speaking federation over HTTPS on a loopback address: certificate from the test
 * CA, the CA trusted through federation_custom_ca_list, peers reached through
 * federation_address_overrides, DNS answered by an empty FakeDns (no traffic leaves loopback).
 */

export interface FederatingServer {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly homeserver: Homeserver;
  readonly config: HomeserverConfig;
  readonly clock: TestClock;
  readonly dataDir: string;
  /** A client-side HTTPS client for this server (trusts the test CA). */
  readonly client: TestClient;
  stop(): Promise<void>;
}

export interface FederatingServerOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly ca: TestCa;
  /** server name → "host:port" */
  readonly overrides?: Record<string, string>;
  readonly config?: ConfigFile;
  readonly dataDir?: string;
}

export async function startFederatingServer(options: FederatingServerOptions): Promise<FederatingServer> {
  const dataDir = options.dataDir ?? makeTempDir('lattice-fed-');
  const cert = options.ca.issue(`${options.name}-${options.port}`, [options.name], [options.host]);
  const file = parseConfigFile({
    ...GENEROUS_LIMITS,
    server_name: options.name,
    federation_custom_ca_list: [options.ca.caCertPath],
    federation_address_overrides: options.overrides ?? {},
    // Short retries so queue tests see several attempts within seconds.
    federation: { destination_min_retry_interval: 100, destination_retry_multiplier: 2, destination_max_retry_interval: 400, client_timeout: '10s' },
    ...options.config,
  });
  const config = resolveConfig(file, {
    dataDir,
    http: [],
    https: [`${options.host}:${options.port}`],
    tlsCert: cert.certPath,
    tlsKey: cert.keyPath,
    coap: [],
  });
  const clock = new TestClock();
  const homeserver = createHomeserver(config, { clock, logger: pino({ level: 'silent' }), federationDns: new FakeDns() });
  await homeserver.start();
  const agent = new Agent({ connect: { ca: readFileSync(options.ca.caCertPath, 'utf8') } });
  return {
    name: options.name,
    host: options.host,
    port: options.port,
    homeserver,
    config,
    clock,
    dataDir,
    client: new TestClient(`https://${options.host}:${options.port}`, agent),
    async stop() {
      await homeserver.stop();
      await agent.close();
    },
  };
}
