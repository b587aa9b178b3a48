// Config resolution: embedded defaults, the YAML file with Synapse key names, flag overrides.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigFile, parseDuration, parseHostPort, parseSize, resolveConfig } from '../../src/config.js';

describe('defaults', () => {
  it('just run: ./data, localhost, HTTP 127.0.0.1:8008, CoAP 127.0.0.1:5683, open registration', () => {
    const c = resolveConfig({}, {}, '/srv/lattice');
    expect(c.serverName).toBe('localhost');
    expect(c.dataDir).toBe('/srv/lattice/data');
    expect(c.databasePath).toBe('/srv/lattice/data/homeserver.db');
    expect(c.signingKeyPath).toBe('/srv/lattice/data/localhost.signing.key');
    expect(c.listeners).toEqual([
      { type: 'http', host: '127.0.0.1', port: 8008, tls: undefined, xForwarded: false },
      { type: 'coap', host: '127.0.0.1', port: 5683, tls: undefined, xForwarded: false },
    ]);
    expect(c.enableRegistration).toBe(true);
    expect(c.databaseSynchronous).toBe('full');
    expect(c.rateLimits.login.address).toEqual({ perSecond: 0.003, burstCount: 5 });
    expect(c.refreshableAccessTokenLifetimeMs).toBe(300_000);
  });
});

describe('registration default follows the listeners', () => {
  it('is closed as soon as one listener is reachable from elsewhere', () => {
    expect(resolveConfig({}, { http: ['0.0.0.0:8008'] }).enableRegistration).toBe(false);
    expect(resolveConfig({}, { coap: ['[::]:5683'] }).enableRegistration).toBe(false);
    expect(resolveConfig({}, { http: ['[::1]:8008', 'localhost:8009'] }).enableRegistration).toBe(true);
  });
  it('opens with enable_registration or the flag', () => {
    expect(resolveConfig({ enable_registration: true }, { http: ['0.0.0.0:8008'] }).enableRegistration).toBe(true);
    expect(resolveConfig({}, { http: ['0.0.0.0:8008'], enableRegistration: true }).enableRegistration).toBe(true);
    expect(resolveConfig({ enable_registration: true }, { enableRegistration: false }).enableRegistration).toBe(false);
  });
});

describe('the YAML file', () => {
  it('reads Synapse key names and resolves paths relative to the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lattice-config-'));
    try {
      const file = path.join(dir, 'homeserver.yaml');
      writeFileSync(
        file,
        `server_name: example.org
public_baseurl: https://matrix.example.org
data_dir: state
database:
  name: sqlite3
  args:
    database: db/lattice.db
tls_certificate_path: tls/cert.pem
tls_private_key_path: tls/key.pem
listeners:
  - port: 8448
    bind_addresses: ['::', '0.0.0.0']
    type: http
    tls: true
    resources: [{ names: [client, federation] }]
  - port: 8008
    x_forwarded: true
  - port: 5683
    type: coap
    bind_addresses: ['0.0.0.0']
enable_registration: false
registration_shared_secret: s3cret
registration_requires_token: true
registration_tokens: [abc, { token: def, uses_allowed: 2 }]
rc_message: { per_second: 1, burst_count: 20 }
rc_login: { failed_attempts: { per_second: 0.5 } }
max_upload_size: 10M
max_request_body_size: 512K
refreshable_access_token_lifetime: 10m
log_level: warn
`,
      );
      const c = loadConfig(file);
      expect(c.serverName).toBe('example.org');
      expect(c.publicBaseUrl).toBe('https://matrix.example.org/');
      expect(c.dataDir).toBe(path.join(dir, 'state'));
      expect(c.databasePath).toBe(path.join(dir, 'db/lattice.db'));
      expect(c.signingKeyPath).toBe(path.join(dir, 'state', 'example.org.signing.key'));
      const tls = { certPath: path.join(dir, 'tls/cert.pem'), keyPath: path.join(dir, 'tls/key.pem') };
      expect(c.listeners).toEqual([
        { type: 'http', host: '::', port: 8448, tls, xForwarded: false },
        { type: 'http', host: '0.0.0.0', port: 8448, tls, xForwarded: false },
        { type: 'http', host: '127.0.0.1', port: 8008, tls: undefined, xForwarded: true },
        { type: 'coap', host: '0.0.0.0', port: 5683, tls: undefined, xForwarded: false },
      ]);
      expect(c.enableRegistration).toBe(false);
      expect(c.registrationRequiresToken).toBe(true);
      expect(c.registrationTokens).toEqual([{ token: 'abc', usesAllowed: null }, { token: 'def', usesAllowed: 2 }]);
      expect(c.registrationSharedSecret).toBe('s3cret');
      expect(c.rateLimits.message).toEqual({ perSecond: 1, burstCount: 20 });
      expect(c.rateLimits.login.failedAttempts).toEqual({ perSecond: 0.5, burstCount: 3 });
      expect(c.maxUploadSize).toBe(10 * 1024 * 1024);
      expect(c.maxRequestBodySize).toBe(512 * 1024);
      expect(c.refreshableAccessTokenLifetimeMs).toBe(600_000);
      expect(c.logLevel).toBe('warn');

      // Flags win over the file.
      const o = loadConfig(file, { serverName: 'other.org', dataDir: 'rel', http: ['127.0.0.1:9000'], coap: [] });
      expect(o.serverName).toBe('other.org');
      expect(o.dataDir).toBe(path.resolve('rel'));
      expect(o.listeners).toEqual([{ type: 'http', host: '127.0.0.1', port: 9000, tls: undefined, xForwarded: false }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the offending key', () => {
    expect(() => parseConfigFile({ listeners: [{ port: 'eighty' }] })).toThrow(/listeners\.0\.port/);
    expect(() => parseConfigFile({ enable_registration: 'yes' })).toThrow(ConfigError);
    expect(() => parseConfigFile({ listeners: [{ port: 1, type: 'smtp' }] })).toThrow(ConfigError);
    expect(() => loadConfig('/nonexistent/lattice.yaml')).toThrow(/cannot read/);
  });

  it('needs certificates for TLS', () => {
    expect(() => resolveConfig({ listeners: [{ port: 8448, tls: true }] })).toThrow(/tls_certificate_path/);
    expect(() => resolveConfig({}, { https: ['0.0.0.0:8448'] })).toThrow(/--tls-cert/);
    const c = resolveConfig({}, { https: ['0.0.0.0:8448'], tlsCert: 'c.pem', tlsKey: 'k.pem' });
    expect(c.listeners[0]!.tls).toEqual({ certPath: path.resolve('c.pem'), keyPath: path.resolve('k.pem') });
  });
});

describe('value syntax', () => {
  it('host:port', () => {
    expect(parseHostPort('0.0.0.0:8008')).toEqual({ host: '0.0.0.0', port: 8008 });
    expect(parseHostPort('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseHostPort('8008')).toEqual({ host: '127.0.0.1', port: 8008 });
    expect(() => parseHostPort('::1:8008')).toThrow(ConfigError);
    expect(() => parseHostPort('host:99999')).toThrow(ConfigError);
  });
  it('sizes and durations', () => {
    expect(parseSize('50M')).toBe(50 * 1024 * 1024);
    expect(parseSize('10k')).toBe(10 * 1024);
    expect(parseSize(123)).toBe(123);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1500')).toBe(1500);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(() => parseSize('lots')).toThrow(ConfigError);
  });
});
