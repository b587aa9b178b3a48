/**
 * A real homeserver with a CoAP listener for the security tests (spec-tests/support/server.ts
 * starts HTTP only): SQLite in a temporary data dir, HTTP and CoAP on 127.0.0.1 with ephemeral
 * ports, generous rate limits. `restart` reopens the same data dir (sequence numbers, replay
 * windows and contexts must survive it).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfigFile, resolveConfig } from '../../../src/config.js';
import { createHomeserver, type Homeserver } from '../../../src/homeserver.js';
import type { SensorCredentials } from '../../../src/services/oscore/credentials.js';
import { GENEROUS_LIMITS } from '../../support/server.js';

export interface SensorServer {
  readonly homeserver: Homeserver;
  readonly dataDir: string;
  readonly coapPort: number;
  /** CoAP over TLS-PSK (RFC 8323); the configured CoAP port number in production, its own here (ephemeral). */
  readonly tlsPort: number;
  readonly httpBase: string;
  /** Creates an account (password login) and returns its user ID. */
  register(localpart: string, password?: string): Promise<string>;
  /** `lattice sensor add` without the CLI. */
  addSensor(userId: string, deviceName: string, roomId?: string): SensorCredentials;
  stop(): Promise<void>;
}

export async function startSensorServer(options: { dataDir?: string; coapPort?: number } = {}): Promise<SensorServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'lattice-coap-security-'));
  const config = resolveConfig(parseConfigFile({ ...GENEROUS_LIMITS }), {
    dataDir,
    http: ['127.0.0.1:0'],
    coap: [`127.0.0.1:${options.coapPort ?? 0}`],
  });
  const homeserver = createHomeserver(config, { logger: pino({ level: 'silent' }) });
  const started = await homeserver.start();
  const coapPort = started.coap[0]!.port;
  return {
    homeserver,
    dataDir,
    coapPort,
    tlsPort: started.coapTls?.[0]?.port ?? 0,
    httpBase: `http://127.0.0.1:${started.http[0]!.port}`,
    async register(localpart, password = `pw-${localpart}-1`) {
      const { userId } = await homeserver.services.registration.createAccount({ localpart, password });
      return userId;
    },
    addSensor(userId, deviceName, roomId) {
      return homeserver.services.sensors.add({ userId, deviceName, roomId, coap: { host: '127.0.0.1', port: coapPort } });
    },
    async stop() {
      await homeserver.stop();
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
