// The SSRF guard: outbound federation never connects to private, loopback, link-local or other
// special-purpose addresses (IPv4, IPv6 and IPv4-mapped IPv6) unless the operator configured
// the destination as an override. A live HTTPS server on 127.0.0.1 proves nothing was sent.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigFile, resolveConfig, type ConfigFile } from '../../src/config.js';
import { signingKeyFromSeed } from '../../src/core/signing.js';
import { DestinationBlockedError } from '../../src/services/federation/federation-client.js';
import { silentLogger } from '../../src/services/logger.js';
import { HttpFederationClient } from '../../src/transport/federation-client/client.js';
import { IpGuard } from '../../src/transport/federation-client/ip-guard.js';
import { DEFAULT_IP_RANGE_BLACKLIST } from '../../src/config-federation.js';
import { makeTempDir, TestClock } from '../support/server.js';
import { FakeDns } from './support/fake-dns.js';
import { json, startFakeHttps, type FakeHttpsServer } from './support/fake-https.js';
import { createTestCa, type TestCa } from './support/test-ca.js';

let dir: string;
let ca: TestCa;
let victim: FakeHttpsServer;

beforeAll(async () => {
  dir = makeTempDir('lattice-ssrf-');
  ca = createTestCa(dir);
  victim = await startFakeHttps({
    host: '127.0.0.1',
    ...ca.issue('victim', ['allowed.test', 'internal.test'], ['127.0.0.1']),
    handler: (_req, res) => json(res, 200, { secret: true }),
  });
}, 60_000);

afterAll(async () => {
  await victim?.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(extra: ConfigFile = {}): { client: HttpFederationClient; dns: FakeDns } {
  const dns = new FakeDns({ 'internal.test': ['127.0.0.1'], 'mixed.test': ['10.0.0.1', '::1'], 'metadata.test': ['169.254.169.254'] });
  const config = resolveConfig(parseConfigFile({ federation_custom_ca_list: [ca.caCertPath], ...extra }), { dataDir: dir, coap: [] }).federation;
  const c = new HttpFederationClient({
    serverName: 'origin.test',
    signingKey: signingKeyFromSeed(new Uint8Array(32).fill(9), 'ed25519:s'),
    config,
    clock: new TestClock(),
    log: silentLogger,
    dns,
    wellKnownPort: victim.port,
  });
  return { client: c, dns };
}

describe('SSRF guard', () => {
  const blockedDestinations = (port: number): string[] => [
    `127.0.0.1:${port}`,
    `127.1.2.3:${port}`,
    '10.0.0.1:8448',
    '10.255.255.255',
    '172.16.0.1',
    '192.168.1.1:8448',
    '100.64.0.1',
    '169.254.169.254',
    '169.254.0.1:80',
    '0.0.0.0:8448',
    '224.0.0.1',
    `[::1]:${port}`,
    '[::]:8448',
    '[fe80::1]:8448',
    '[fc00::1]',
    '[fd12:3456::1]:8448',
    '[ff02::1]',
    `[::ffff:127.0.0.1]:${port}`,
    `[::ffff:7f00:1]:${port}`,
    '[::ffff:10.0.0.1]',
    '[::ffff:169.254.169.254]',
    `internal.test:${port}`,
    'mixed.test:8448',
    'metadata.test:80',
  ];

  it('refuses private, loopback and link-local destinations without sending anything', async () => {
    const { client: c } = client();
    const before = victim.requests.length;
    for (const destination of blockedDestinations(victim.port)) {
      const outcome = await c.request(destination, { method: 'GET', path: '/_matrix/federation/v1/version' }).catch((e: unknown) => e);
      expect(outcome, destination).toBeInstanceOf(DestinationBlockedError);
    }
    expect(victim.requests.length).toBe(before);
    await c.close();
  });

  it('refuses a .well-known lookup that resolves to a private address', async () => {
    const { client: c } = client();
    const before = victim.requests.length;
    // internal.test has no port: discovery would fetch its .well-known from 127.0.0.1.
    await expect(c.request('internal.test', { method: 'GET', path: '/x' })).rejects.toBeInstanceOf(DestinationBlockedError);
    expect(victim.requests.length).toBe(before);
    await c.close();
  });

  it('lets an explicitly configured override reach loopback', async () => {
    const { client: c, dns } = client({ federation_address_overrides: { 'allowed.test': `127.0.0.1:${victim.port}` } });
    expect(await c.request('allowed.test', { method: 'GET', path: '/x' })).toEqual({ secret: true });
    expect(dns.questions).toEqual([]);
    await c.close();
  });

  it('lets the whitelist carve ranges out of the blacklist', async () => {
    const { client: c } = client({ ip_range_whitelist: ['127.0.0.1/32'] });
    expect(await c.request(`127.0.0.1:${victim.port}`, { method: 'GET', path: '/x' })).toEqual({ secret: true });
    await expect(c.request(`127.0.0.2:${victim.port}`, { method: 'GET', path: '/x' })).rejects.toBeInstanceOf(DestinationBlockedError);
    await c.close();
  });
});

describe('IpGuard', () => {
  const guard = new IpGuard(DEFAULT_IP_RANGE_BLACKLIST);
  it('allows public addresses', () => {
    for (const ip of ['1.1.1.1', '8.8.8.8', '2606:4700:4700::1111', '::ffff:1.1.1.1', '172.32.0.1', '100.128.0.1']) expect(guard.allows(ip), ip).toBe(true);
  });
  it('blocks special-purpose ranges, mapped and zoned forms included', () => {
    for (const ip of ['127.0.0.1', '10.1.1.1', '172.31.255.255', '192.168.0.1', '169.254.1.1', '::1', '0:0:0:0:0:0:0:1', 'fe80::1%eth0', 'fe80::abcd', 'fc00::', '::ffff:192.168.0.1', '::ffff:c0a8:1', '0:0:0:0:0:ffff:7f00:1', '2001:db8::1']) {
      expect(guard.allows(ip), ip).toBe(false);
    }
  });
  it('never allows something that is not an IP address', () => {
    expect(guard.allows('localhost')).toBe(false);
    expect(guard.allows('')).toBe(false);
  });
});
