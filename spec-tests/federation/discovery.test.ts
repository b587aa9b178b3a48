// Server discovery and the federation HTTP client against local fake peers: .well-known
// delegation with its caching rules, SRV (current and legacy), overrides, IP literals, TLS with
// SNI and certificate checks, connection reuse, and typed errors. DNS is a table (FakeDns);
// every connection goes to 127.0.0.1.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigFile, resolveConfig, type ConfigFile } from '../../src/config.js';
import type { JsonObject } from '../../src/core/json.js';
import { signingKeyFromSeed, verifyJsonSignature } from '../../src/core/signing.js';
import { parseXMatrixHeader, xMatrixSignable } from '../../src/core/x-matrix.js';
import {
  DestinationBlockedError,
  DestinationUnreachableError,
  FederationBadResponseError,
  FederationHttpError,
  FederationTimeoutError,
} from '../../src/services/federation/federation-client.js';
import { silentLogger } from '../../src/services/logger.js';
import { HttpFederationClient } from '../../src/transport/federation-client/client.js';
import { DNS_FALLBACK_TTL_MS, DNS_MAX_TTL_MS, DNS_MIN_TTL_MS, DNS_SRV_TTL_MS, orderSrvRecords, SystemDns, type DnsResolver } from '../../src/transport/federation-client/dns.js';
import { cachePeriod, failureCachePeriod, parseWellKnown } from '../../src/transport/federation-client/well-known.js';
import { makeTempDir, TestClock } from '../support/server.js';
import { FakeDns } from './support/fake-dns.js';
import { json, startFakeHttps, type FakeHttpsServer } from './support/fake-https.js';
import { createTestCa, type TestCa } from './support/test-ca.js';

const HOUR = 3_600_000;
const signingKey = signingKeyFromSeed(new Uint8Array(32).fill(3), 'ed25519:disc');

let dir: string;
let ca: TestCa;
let wk: FakeHttpsServer; // serves /.well-known/matrix/server for every *.test name, by Host header
let target: FakeHttpsServer; // the federation endpoint discovery should lead to
const wellKnownBodies = new Map<string, { status: number; body: unknown; headers?: Record<string, string> }>();

beforeAll(async () => {
  dir = makeTempDir('lattice-disc-');
  ca = createTestCa(dir);
  const wkCert = ca.issue('wk', ['wk.test', 'wk-long.test', 'wk-default.test', 'wk-404.test', 'wk-redirect.test', 'wk-srv.test', 'wk-private.test', 'wk-ip.test', 'wk-bad.test', 'wk-flaky.test']);
  wk = await startFakeHttps({
    host: '127.0.0.1',
    ...wkCert,
    handler: (req, res) => {
      const answer = wellKnownBodies.get((req.host ?? '').replace(/:\d+$/, ''));
      if (!answer || req.url !== '/.well-known/matrix/server') return json(res, 404, { errcode: 'M_NOT_FOUND', error: 'no' });
      if (typeof answer.body === 'string') {
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body);
        return;
      }
      json(res, answer.status, answer.body, answer.headers);
    },
  });
  const targetCert = ca.issue('target', ['target.test', 'delegated-srv.test', 'srv.test', 'legacy.test', 'over.test'], ['127.0.0.1']);
  target = await startFakeHttps({
    host: '127.0.0.1',
    ...targetCert,
    handler: (req, res) => {
      if (req.url.startsWith('/forbidden')) return json(res, 403, { errcode: 'M_FORBIDDEN', error: 'go away' });
      if (req.url.startsWith('/teapot')) return json(res, 418, 'not an object');
      if (req.url.startsWith('/html')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html></html>');
        return;
      }
      if (req.url.startsWith('/slow')) return; // never answers
      json(res, 200, { host: req.host ?? null, servername: req.servername || null, url: req.url });
    },
  });
  const T = target.port;
  wellKnownBodies.set('wk.test', { status: 200, body: { 'm.server': `target.test:${T}` }, headers: { 'cache-control': 'max-age=600' } });
  wellKnownBodies.set('wk-long.test', { status: 200, body: { 'm.server': `target.test:${T}` }, headers: { 'cache-control': 'public, max-age=31536000' } });
  wellKnownBodies.set('wk-default.test', { status: 200, body: { 'm.server': `target.test:${T}` } });
  wellKnownBodies.set('wk-redirect.test', { status: 302, body: '', headers: { location: `https://wk.test:${wk.port}/.well-known/matrix/server` } });
  wellKnownBodies.set('wk-srv.test', { status: 200, body: { 'm.server': 'delegated-srv.test' } });
  wellKnownBodies.set('wk-private.test', { status: 200, body: { 'm.server': '10.1.2.3:8448' } });
  wellKnownBodies.set('wk-ip.test', { status: 200, body: { 'm.server': `127.0.0.1:${T}` } });
  // Served as text/plain and with junk: the body is JSON anyway, the m.server value is not valid.
  wellKnownBodies.set('wk-bad.test', { status: 200, body: '{"m.server": "not a server name!"}', headers: { 'content-type': 'text/plain' } });
}, 60_000);

afterAll(async () => {
  await Promise.all([wk?.close(), target?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function makeDns(): FakeDns {
  const T = target.port;
  const loopback = ['127.0.0.1'];
  const hosts: Record<string, string[]> = { 'target.test': loopback, 'wk-404.test': loopback };
  for (const name of [...wellKnownBodies.keys(), 'wk-flaky.test']) hosts[name] = loopback;
  return new FakeDns(hosts, {
    '_matrix-fed._tcp.delegated-srv.test': [{ name: 'target.test', port: T, priority: 10, weight: 5 }],
    '_matrix-fed._tcp.srv.test': [{ name: 'target.test.', port: T, priority: 10, weight: 5 }],
    '_matrix._tcp.legacy.test': [{ name: 'target.test', port: T, priority: 10, weight: 5 }],
  });
}

function makeClient(
  extra: ConfigFile = {},
  dns = makeDns(),
  clock = new TestClock(),
  resolver: DnsResolver = dns,
): { client: HttpFederationClient; dns: FakeDns; clock: TestClock } {
  const config = resolveConfig(
    parseConfigFile({ federation_custom_ca_list: [ca.caCertPath], ip_range_whitelist: ['127.0.0.0/8'], ...extra }),
    { dataDir: dir, coap: [] },
  ).federation;
  return { client: new HttpFederationClient({ serverName: 'origin.test', signingKey, config, clock, log: silentLogger, dns: resolver, wellKnownPort: wk.port }), dns, clock };
}

const wkHits = (name: string): number => wk.requests.filter((r) => r.host?.replace(/:\d+$/, '') === name).length;

describe('.well-known delegation', () => {
  let ctx: ReturnType<typeof makeClient>;
  beforeEach(() => {
    ctx = makeClient();
  });

  it('follows m.server with an explicit port: Host and SNI are the delegated name', async () => {
    const res = await ctx.client.request('wk.test', { method: 'GET', path: '/_matrix/federation/v1/version' });
    expect(res).toEqual({ host: `target.test:${target.port}`, servername: 'target.test', url: '/_matrix/federation/v1/version' });
  });

  it('signs requests with X-Matrix for the server name asked for', async () => {
    const before = target.requests.length;
    await ctx.client.request('wk.test', { method: 'PUT', path: '/_matrix/federation/v1/send/t1', body: { pdus: [] } });
    const seen = target.requests[before]!;
    const credentials = parseXMatrixHeader(String(seen.headers.authorization));
    expect(credentials).toMatchObject({ origin: 'origin.test', destination: 'wk.test', key: 'ed25519:disc' });
    const signable = xMatrixSignable({ method: 'PUT', uri: '/_matrix/federation/v1/send/t1', origin: 'origin.test', destination: 'wk.test', content: JSON.parse(seen.body) as JsonObject });
    expect(verifyJsonSignature({ ...signable, signatures: { 'origin.test': { [credentials.key]: credentials.sig } } }, 'origin.test', credentials.key, signingKey.publicKey)).toBe(true);
  });

  it('caches the file for its max-age, then asks again', async () => {
    const hits = wkHits('wk.test');
    await ctx.client.resolver.resolve('wk.test');
    await ctx.client.resolver.resolve('wk.test');
    expect(wkHits('wk.test')).toBe(hits + 1);
    ctx.clock.advance(599_000);
    await ctx.client.resolver.resolve('wk.test');
    expect(wkHits('wk.test')).toBe(hits + 1);
    ctx.clock.advance(2_000);
    await ctx.client.resolver.resolve('wk.test');
    expect(wkHits('wk.test')).toBe(hits + 2);
  });

  it('uses 24 hours without Cache-Control and never more than 48 hours', async () => {
    const d = wkHits('wk-default.test');
    const l = wkHits('wk-long.test');
    await Promise.all([ctx.client.resolver.resolve('wk-default.test'), ctx.client.resolver.resolve('wk-long.test')]);
    ctx.clock.advance(23 * HOUR);
    await Promise.all([ctx.client.resolver.resolve('wk-default.test'), ctx.client.resolver.resolve('wk-long.test')]);
    expect([wkHits('wk-default.test'), wkHits('wk-long.test')]).toEqual([d + 1, l + 1]);
    ctx.clock.advance(2 * HOUR);
    await Promise.all([ctx.client.resolver.resolve('wk-default.test'), ctx.client.resolver.resolve('wk-long.test')]);
    expect([wkHits('wk-default.test'), wkHits('wk-long.test')]).toEqual([d + 2, l + 1]);
    ctx.clock.advance(24 * HOUR);
    await ctx.client.resolver.resolve('wk-long.test');
    expect(wkHits('wk-long.test')).toBe(l + 2);
  });

  it('remembers a missing or invalid file for two minutes at first, doubling up to an hour, and falls back to port 8448', async () => {
    const hits = wkHits('wk-404.test');
    expect(await ctx.client.resolver.resolve('wk-404.test')).toEqual({ hostHeader: 'wk-404.test', targets: [{ host: 'wk-404.test', port: 8448 }], trusted: false });
    // Failures in a row are remembered for 2, 4, 8, 16, 32 minutes, then an hour, and an hour after that.
    const minutes = [2, 4, 8, 16, 32, 60, 60];
    for (const [i, period] of minutes.entries()) {
      ctx.clock.advance(period * 60_000 - 1_000);
      await ctx.client.resolver.resolve('wk-404.test');
      expect(wkHits('wk-404.test'), `still remembered before ${period} min`).toBe(hits + 1 + i);
      ctx.clock.advance(2_000);
      await ctx.client.resolver.resolve('wk-404.test');
      expect(wkHits('wk-404.test'), `asked again after ${period} min`).toBe(hits + 2 + i);
    }
    expect((await ctx.client.resolver.resolve('wk-bad.test')).hostHeader).toBe('wk-bad.test');
  });

  it('starts the failure count again after a success', async () => {
    const name = 'wk-flaky.test';
    const hits = (): number => wkHits(name);
    wellKnownBodies.delete(name);
    const before = hits();
    for (const period of [2, 4]) {
      await ctx.client.resolver.resolve(name);
      ctx.clock.advance(period * 60_000 + 1_000);
    }
    expect(hits()).toBe(before + 2);
    wellKnownBodies.set(name, { status: 200, body: { 'm.server': `target.test:${target.port}` }, headers: { 'cache-control': 'max-age=300' } });
    expect((await ctx.client.resolver.resolve(name)).hostHeader).toBe(`target.test:${target.port}`);
    ctx.clock.advance(301_000);
    wellKnownBodies.delete(name);
    expect((await ctx.client.resolver.resolve(name)).hostHeader).toBe(name);
    expect(hits()).toBe(before + 4);
    // The first failure after a success is remembered for two minutes again, not eight.
    ctx.clock.advance(2 * 60_000 + 1_000);
    await ctx.client.resolver.resolve(name);
    expect(hits()).toBe(before + 5);
  });

  it('follows redirects', async () => {
    const res = await ctx.client.request('wk-redirect.test', { method: 'GET', path: '/x' });
    expect(res['host']).toBe(`target.test:${target.port}`);
  });

  it('resolves a delegated name without port through its SRV record (Host: the delegated name)', async () => {
    const res = await ctx.client.request('wk-srv.test', { method: 'GET', path: '/x' });
    expect(res).toMatchObject({ host: 'delegated-srv.test', servername: 'delegated-srv.test' });
  });

  it('connects to a delegated IP literal without SNI, checking the certificate against the IP', async () => {
    const res = await ctx.client.request('wk-ip.test', { method: 'GET', path: '/x' });
    expect(res).toMatchObject({ host: `127.0.0.1:${target.port}`, servername: null });
  });

  it('refuses a delegation to a private address (SSRF guard)', async () => {
    await expect(ctx.client.request('wk-private.test', { method: 'GET', path: '/x' })).rejects.toBeInstanceOf(DestinationBlockedError);
  });
});

describe('SRV and fallbacks', () => {
  it('uses _matrix-fed._tcp, then the legacy _matrix._tcp, with the server name as Host', async () => {
    const { client, dns } = makeClient();
    expect(await client.request('srv.test', { method: 'GET', path: '/x' })).toMatchObject({ host: 'srv.test', servername: 'srv.test' });
    expect(await client.request('legacy.test', { method: 'GET', path: '/x' })).toMatchObject({ host: 'legacy.test', servername: 'legacy.test' });
    expect(dns.questions).toContain('SRV _matrix-fed._tcp.legacy.test');
    expect(dns.questions.indexOf('SRV _matrix-fed._tcp.legacy.test')).toBeLessThan(dns.questions.indexOf('SRV _matrix._tcp.legacy.test'));
  });

  it('skips .well-known and SRV for explicit ports and IP literals', async () => {
    const { client, dns } = makeClient();
    expect(await client.resolver.resolve('plain.test:1234')).toEqual({ hostHeader: 'plain.test:1234', targets: [{ host: 'plain.test', port: 1234 }], trusted: false });
    expect(await client.resolver.resolve('[2001:db8::1]')).toEqual({ hostHeader: '[2001:db8::1]', targets: [{ host: '2001:db8::1', port: 8448 }], trusted: false });
    expect(await client.resolver.resolve('192.0.2.7:99')).toEqual({ hostHeader: '192.0.2.7:99', targets: [{ host: '192.0.2.7', port: 99 }], trusted: false });
    expect(dns.questions).toEqual([]);
    expect(wkHits('plain.test')).toBe(0);
  });

  it('orders SRV records by priority, then by weight', () => {
    const records = [
      { name: 'c', port: 3, priority: 20, weight: 0 },
      { name: 'a', port: 1, priority: 10, weight: 0 },
      { name: 'b', port: 2, priority: 10, weight: 100 },
    ];
    expect(orderSrvRecords(records, () => 0).map((r) => r.name)).toEqual(['b', 'a', 'c']);
    expect(orderSrvRecords([{ name: '.', port: 0, priority: 0, weight: 0 }])).toEqual([]);
  });
});

describe('overrides', () => {
  it('go straight to the configured address: no .well-known, no DNS, private addresses allowed', async () => {
    const { client, dns } = makeClient({ ip_range_whitelist: [], federation_address_overrides: { 'over.test': `127.0.0.1:${target.port}` } });
    const res = await client.request('over.test', { method: 'GET', path: '/x' });
    expect(res).toMatchObject({ host: 'over.test', servername: 'over.test' });
    expect(dns.questions).toEqual([]);
    expect(wkHits('over.test')).toBe(0);
  });
});

describe('TLS and the HTTP client', () => {
  it('refuses a certificate that does not name the server', async () => {
    const { client } = makeClient({ federation_address_overrides: { 'impostor.test': `127.0.0.1:${target.port}` } });
    await expect(client.request('impostor.test', { method: 'GET', path: '/x' })).rejects.toBeInstanceOf(DestinationUnreachableError);
  });

  it('refuses a certificate from a CA it was not told to trust', async () => {
    const { client } = makeClient({ federation_custom_ca_list: [], federation_address_overrides: { 'over.test': `127.0.0.1:${target.port}` } });
    await expect(client.request('over.test', { method: 'GET', path: '/x' })).rejects.toBeInstanceOf(DestinationUnreachableError);
  });

  it('reuses connections for consecutive requests', async () => {
    const { client } = makeClient({ federation_address_overrides: { 'over.test': `127.0.0.1:${target.port}` } });
    const before = target.requests.length;
    for (let i = 0; i < 5; i++) await client.request('over.test', { method: 'GET', path: `/x${i}` });
    const ports = new Set(target.requests.slice(before).map((r) => r.remotePort));
    expect(target.requests.length - before).toBe(5);
    // Keep-alive: undici may open a second socket while the first finishes a response, but the
    // five requests share at most two connections instead of opening one each.
    expect(ports.size).toBeLessThanOrEqual(2);
    await client.close();
  });

  it('types its failures: Matrix errors, bad bodies, timeouts, unreachable hosts', async () => {
    const { client } = makeClient({ federation_address_overrides: { 'over.test': `127.0.0.1:${target.port}` } });
    const forbidden = await client.request('over.test', { method: 'GET', path: '/forbidden' }).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(FederationHttpError);
    expect(forbidden).toMatchObject({ status: 403, errcode: 'M_FORBIDDEN', errorText: 'go away' });
    expect(await client.request('over.test', { method: 'GET', path: '/teapot' }).catch((e: unknown) => e)).toMatchObject({ status: 418, errcode: undefined });
    await expect(client.request('over.test', { method: 'GET', path: '/html' })).rejects.toBeInstanceOf(FederationBadResponseError);
    await expect(client.request('over.test', { method: 'GET', path: '/slow', timeoutMs: 300 })).rejects.toBeInstanceOf(FederationTimeoutError);
    await expect(client.request('nowhere.test', { method: 'GET', path: '/x' })).rejects.toBeInstanceOf(DestinationUnreachableError);
    await expect(client.request('not a server name', { method: 'GET', path: '/x' })).rejects.toBeInstanceOf(DestinationUnreachableError);
    await client.close();
  });
});

describe('well-known parsing', () => {
  it('reads m.server from any content type and rejects invalid values', () => {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(parseWellKnown(enc('{"m.server":"example.org:8448"}'))).toBe('example.org:8448');
    expect(parseWellKnown(enc('{"m.server":"[::1]:8448"}'))).toBe('[::1]:8448');
    expect(parseWellKnown(enc('{"m.server":"exa mple.org"}'))).toBeUndefined();
    expect(parseWellKnown(enc('{"m.server":7}'))).toBeUndefined();
    expect(parseWellKnown(enc('[]'))).toBeUndefined();
    expect(parseWellKnown(enc('not json'))).toBeUndefined();
  });

  it('remembers failures for longer each time, up to an hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100, 1e9].map((n) => failureCachePeriod(n) / 60_000)).toEqual([2, 4, 8, 16, 32, 60, 60, 60, 60]);
  });

  it('derives the cache period from Cache-Control within [5 min, 48 h]', () => {
    expect(cachePeriod(undefined)).toBe(24 * HOUR);
    expect(cachePeriod('max-age=3600')).toBe(HOUR);
    expect(cachePeriod('public, max-age=999999999')).toBe(48 * HOUR);
    expect(cachePeriod('no-store')).toBe(5 * 60_000);
    expect(cachePeriod('max-age=1')).toBe(5 * 60_000);
  });
});

describe('DNS caching (SystemDns)', () => {
  const ttlDns = (): FakeDns =>
    new FakeDns(
      { 'short.test': ['127.0.0.1', '::1'], 'long.test': ['127.0.0.1'], 'zero.test': ['127.0.0.1'], 'hosts-file.test': ['127.0.0.1'], 'target.test': ['127.0.0.1'] },
      { '_matrix-fed._tcp.srv.test': [{ name: 'target.test', port: target.port, priority: 10, weight: 5 }] },
      { 'short.test': 30, 'long.test': 7 * 24 * 3600, 'zero.test': 0, 'target.test': 120 },
    );

  it('keeps A/AAAA answers for their TTL, within [5 s, 1 h]', async () => {
    const fake = ttlDns();
    const clock = new TestClock();
    const dns = new SystemDns({ backend: fake, clock });
    expect(await dns.lookup('short.test')).toEqual(['127.0.0.1', '::1']);
    await Promise.all([dns.lookup('short.test'), dns.lookup('long.test'), dns.lookup('zero.test')]);
    expect([fake.asked('A4 short.test'), fake.asked('AAAA short.test'), fake.asked('A4 long.test'), fake.asked('A4 zero.test')]).toEqual([1, 1, 1, 1]);

    clock.advance(DNS_MIN_TTL_MS + 1_000);
    await Promise.all([dns.lookup('short.test'), dns.lookup('long.test'), dns.lookup('zero.test')]);
    expect([fake.asked('A4 short.test'), fake.asked('A4 long.test'), fake.asked('A4 zero.test')]).toEqual([1, 1, 2]);

    clock.advance(30_000 - DNS_MIN_TTL_MS);
    await Promise.all([dns.lookup('short.test'), dns.lookup('long.test')]);
    expect([fake.asked('A4 short.test'), fake.asked('A4 long.test')]).toEqual([2, 1]);

    // A week-long TTL is kept an hour at most.
    clock.advance(DNS_MAX_TTL_MS);
    await dns.lookup('long.test');
    expect(fake.asked('A4 long.test')).toBe(2);
  });

  it('asks getaddrinfo for names DNS does not know, and keeps that (and SRV answers) for fixed periods', async () => {
    const fake = ttlDns();
    const clock = new TestClock();
    const dns = new SystemDns({ backend: fake, clock });
    expect(await dns.lookup('hosts-file.test')).toEqual(['127.0.0.1']);
    expect(await dns.lookup('nowhere.test')).toEqual([]);
    expect(await dns.resolveSrv('_matrix-fed._tcp.nothing.test')).toEqual([]);
    clock.advance(DNS_FALLBACK_TTL_MS - 1_000);
    await Promise.all([dns.lookup('hosts-file.test'), dns.lookup('nowhere.test'), dns.resolveSrv('_matrix-fed._tcp.nothing.test')]);
    expect([fake.asked('A hosts-file.test'), fake.asked('A nowhere.test')]).toEqual([1, 1]);
    clock.advance(2_000);
    await Promise.all([dns.lookup('hosts-file.test'), dns.lookup('nowhere.test')]);
    expect([fake.asked('A hosts-file.test'), fake.asked('A nowhere.test')]).toEqual([2, 2]);
    clock.advance(DNS_SRV_TTL_MS - DNS_FALLBACK_TTL_MS - 2_000);
    await dns.resolveSrv('_matrix-fed._tcp.nothing.test');
    expect(fake.asked('SRV _matrix-fed._tcp.nothing.test')).toBe(1);
    clock.advance(2_000);
    await dns.resolveSrv('_matrix-fed._tcp.nothing.test');
    expect(fake.asked('SRV _matrix-fed._tcp.nothing.test')).toBe(2);
  });

  it('a client resolving through it asks DNS again only once the TTL has run out', async () => {
    const fake = ttlDns();
    const clock = new TestClock();
    const { client } = makeClient({}, fake, clock, new SystemDns({ backend: fake, clock }));
    for (let i = 0; i < 3; i++) expect(await client.request('srv.test', { method: 'GET', path: `/ttl${i}` })).toMatchObject({ host: 'srv.test' });
    expect([fake.asked('SRV _matrix-fed._tcp.srv.test'), fake.asked('A4 target.test')]).toEqual([1, 1]);
    clock.advance(121_000);
    await client.request('srv.test', { method: 'GET', path: '/ttl-after' });
    expect([fake.asked('SRV _matrix-fed._tcp.srv.test'), fake.asked('A4 target.test')]).toEqual([1, 2]);
    await client.close();
  });
});
