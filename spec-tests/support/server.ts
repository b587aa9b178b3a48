import { mkdtempSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { Agent } from 'undici';
import { parseConfigFile, resolveConfig, type ConfigFile, type HomeserverConfig } from '../../src/config.js';
import { createHomeserver, type Homeserver } from '../../src/homeserver.js';
import type { Clock } from '../../src/services/clock.js';
import type { DnsResolver } from '../../src/transport/federation-client/dns.js';
import { TestClient } from './client.js';

/**
 * A real homeserver for tests: real SQLite file in a temporary data dir, HTTP on 127.0.0.1 with
 * an ephemeral port, no CoAP. Rate limits are generous unless a test sets its own.
 */

const generous = { per_second: 10_000, burst_count: 10_000 };
export const GENEROUS_LIMITS: ConfigFile = {
  rc_message: generous,
  rc_registration: generous,
  rc_registration_token_validity: generous,
  rc_login: { address: generous, account: generous, failed_attempts: generous },
  rc_joins: { local: generous, remote: generous },
  rc_invites: { per_room: generous, per_user: generous, per_issuer: generous },
};

/**
 * DNS for test servers: names resolve to nothing, so federation requests a test provokes (a
 * notary query for `x`, a key fetch for a made-up origin) fail fast and never leave loopback.
 */
export const OFFLINE_DNS: DnsResolver = {
  lookup: async (hostname) => (isIP(hostname) ? [hostname] : []),
  resolveSrv: async () => [],
};

/** A clock tests can move forward. */
export class TestClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export interface TestServer {
  readonly homeserver: Homeserver;
  readonly config: HomeserverConfig;
  readonly baseUrl: string;
  readonly dataDir: string;
  readonly client: TestClient;
  readonly clock: TestClock;
  /** Stops the server; removes the data dir unless it was passed in. */
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** Extra config file keys (merged over GENEROUS_LIMITS). */
  readonly config?: ConfigFile;
  /** Reuse a data dir (restart tests); it is then left in place on stop. */
  readonly dataDir?: string;
  /** Serve HTTPS (only) with this certificate and key (PEM files). */
  readonly https?: { readonly certPath: string; readonly keyPath: string };
}

export function makeTempDir(prefix = 'lattice-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? makeTempDir();
  const listeners = options.https
    ? { http: [], https: ['127.0.0.1:0'], tlsCert: options.https.certPath, tlsKey: options.https.keyPath }
    : { http: ['127.0.0.1:0'] };
  const config = resolveConfig(parseConfigFile({ ...GENEROUS_LIMITS, ...options.config }), { dataDir, ...listeners, coap: [] });
  const clock = new TestClock();
  const homeserver = createHomeserver(config, { clock, logger: pino({ level: 'silent' }), federationDns: OFFLINE_DNS });
  const started = await homeserver.start();
  const http = started.http[0]!;
  const baseUrl = `${http.tls ? 'https' : 'http'}://127.0.0.1:${http.port}`;
  return {
    homeserver,
    config,
    baseUrl,
    dataDir,
    client: new TestClient(baseUrl, http.tls ? new Agent({ connect: { rejectUnauthorized: false } }) : undefined),
    clock,
    async stop() {
      await homeserver.stop();
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Puts a stopped server's database back to before migration `version`: runs `undo` (dropping
 * what the migration made) and forgets the migration, so the next start applies it again.
 */
export function undoMigration(dataDir: string, version: number, undo: string): void {
  const db = new Database(path.join(dataDir, 'homeserver.db'));
  try {
    db.exec(undo);
    db.prepare('DELETE FROM schema_migrations WHERE version = ?').run(version);
  } finally {
    db.close();
  }
}
