// Federation settings (Synapse's key names) and the served /.well-known/matrix/server.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigFile, resolveConfig } from '../../src/config.js';
import { DEFAULT_IP_RANGE_BLACKLIST } from '../../src/config-federation.js';
import { isValidServerName, parseServerName } from '../../src/core/server-name.js';
import { startTestServer } from '../support/server.js';

const resolve = (file: Record<string, unknown>) => resolveConfig(parseConfigFile(file), { dataDir: '/tmp/lattice-config-test', coap: [] }, '/etc/lattice');

describe('federation config', () => {
  it('is off and conservative by default', () => {
    const f = resolve({}).federation;
    expect(f.trustedKeyServers).toEqual([]);
    expect(f.customCaFiles).toEqual([]);
    expect(f.addressOverrides.size).toBe(0);
    expect(f.serveServerWellKnown).toBe(false);
    expect(f.ipRangeBlacklist).toEqual(DEFAULT_IP_RANGE_BLACKLIST.map((r) => (r.includes('/') ? r : `${r}/32`)));
    expect(f.ipRangeWhitelist).toEqual([]);
    expect([f.destinationMinRetryIntervalMs, f.destinationRetryMultiplier, f.destinationMaxRetryIntervalMs]).toEqual([600_000, 2, 604_800_000]);
    expect(f.keyRefreshIntervalMs).toBe(86_400_000);
  });

  it('reads every key', () => {
    const f = resolve({
      trusted_key_servers: [{ server_name: 'notary.example', verify_keys: { 'ed25519:auto': 'Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw' } }],
      old_signing_keys: { 'ed25519:old': { key: 'Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw', expired_ts: 123 } },
      key_refresh_interval: '2h',
      serve_server_wellknown: true,
      federation_custom_ca_list: ['ca.pem'],
      federation_address_overrides: { 'hs2.test': '127.0.0.2:8448', '[::1]:8448': '[::1]:9000' },
      ip_range_blacklist: ['10.0.0.0/8', '::1'],
      ip_range_whitelist: ['10.1.0.0/16'],
      federation: { client_timeout: '5s', destination_min_retry_interval: '1s', destination_retry_multiplier: 3, destination_max_retry_interval: '1h' },
    }).federation;
    expect(f.trustedKeyServers).toEqual([{ serverName: 'notary.example', verifyKeys: { 'ed25519:auto': 'Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw' } }]);
    expect(f.oldSigningKeys).toEqual([{ keyId: 'ed25519:old', key: 'Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw', expiredTs: 123 }]);
    expect(f.keyRefreshIntervalMs).toBe(7_200_000);
    expect(f.customCaFiles).toEqual(['/etc/lattice/ca.pem']);
    expect(f.addressOverrides.get('hs2.test')).toEqual({ host: '127.0.0.2', port: 8448 });
    expect(f.addressOverrides.get('[::1]:8448')).toEqual({ host: '::1', port: 9000 });
    expect(f.ipRangeBlacklist).toEqual(['10.0.0.0/8', '::1/128']);
    expect(f.ipRangeWhitelist).toEqual(['10.1.0.0/16']);
    expect([f.clientTimeoutMs, f.destinationMinRetryIntervalMs, f.destinationRetryMultiplier, f.destinationMaxRetryIntervalMs]).toEqual([5000, 1000, 3, 3_600_000]);
  });

  it('refuses bad values with a message naming the key', () => {
    expect(() => resolve({ ip_range_blacklist: ['10.0.0.0/33'] })).toThrow(/ip_range_blacklist/);
    expect(() => resolve({ ip_range_whitelist: ['example.org'] })).toThrow(ConfigError);
    expect(() => resolve({ federation_address_overrides: { 'hs2.test': 'nope' } })).toThrow(ConfigError);
    expect(() => resolve({ federation_address_overrides: { 'bad name!': '127.0.0.1:1' } })).toThrow(/federation_address_overrides/);
    expect(() => resolve({ trusted_key_servers: [{ server_name: 'n.example', verify_keys: { 'ed25519:a': 'short' } }] })).toThrow(/trusted_key_servers/);
    expect(() => resolve({ old_signing_keys: { 'rsa:x': { key: 'Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw', expired_ts: 1 } } })).toThrow(/old_signing_keys/);
  });
});

describe('server names', () => {
  it('follow the appendix grammar', () => {
    expect(parseServerName('example.org')).toEqual({ host: 'example.org', port: undefined, kind: 'dns' });
    expect(parseServerName('example.org:8448')).toEqual({ host: 'example.org', port: 8448, kind: 'dns' });
    expect(parseServerName('1.2.3.4:1')).toEqual({ host: '1.2.3.4', port: 1, kind: 'ipv4' });
    expect(parseServerName('[1234:5678::abcd]:5678')).toEqual({ host: '1234:5678::abcd', port: 5678, kind: 'ipv6' });
    for (const bad of ['', 'example.org:', 'example.org:0', 'example.org:65536', 'exa mple.org', '[::1', '[zz::1]', '1.2.3.256', 'a_b.org', '@user:example.org']) {
      expect(isValidServerName(bad), bad).toBe(false);
    }
  });
});

describe('GET /.well-known/matrix/server', () => {
  it('is not served unless configured', async () => {
    const server = await startTestServer();
    try {
      const res = await server.client.get('/.well-known/matrix/server');
      expect(res.status).toBe(404);
      expect(res.body.errcode).toBe('M_NOT_FOUND');
    } finally {
      await server.stop();
    }
  });

  it('delegates to public_baseurl when serve_server_wellknown is on', async () => {
    const server = await startTestServer({ config: { serve_server_wellknown: true, public_baseurl: 'https://matrix.example.org/' } });
    try {
      const res = await server.client.get('/.well-known/matrix/server');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ 'm.server': 'matrix.example.org:443' });
    } finally {
      await server.stop();
    }
  });
});
