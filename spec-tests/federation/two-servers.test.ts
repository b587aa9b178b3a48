// Two (and three) real Lattice instances on 127.0.0.1, 127.0.0.2 and 127.0.0.3, speaking
// federation over HTTPS with certificates from a CA made for this run: key publication, key
// fetching and caching with validity rules, X-Matrix signing and verification, notaries.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase64 } from '../../src/core/base64.js';
import { checkServerKeyResponse, MAX_KEY_VALIDITY_MS } from '../../src/core/server-keys.js';
import { signJson, signingKeyFromSeed, verifyJsonSignature } from '../../src/core/signing.js';
import { formatXMatrixHeader, xMatrixSignable } from '../../src/core/x-matrix.js';
import type { JsonObject } from '../../src/core/json.js';
import { MatrixError } from '../../src/services/errors.js';
import { CS, registerUser } from '../support/client.js';
import { makeTempDir } from '../support/server.js';
import { startFederatingServer, type FederatingServer } from './support/federating-server.js';
import { freePort } from './support/free-port.js';
import { createTestCa } from './support/test-ca.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// A key A used to sign with; its seed is irrelevant, only the public half is published.
const OLD_KEY = signingKeyFromSeed(new Uint8Array(32).fill(7), 'ed25519:old');
const OLD_KEY_EXPIRED_TS = Date.now() - DAY;

let dir: string;
let a: FederatingServer; // hs1.test on 127.0.0.1: keys valid 30 days (over the 7-day cap), an old key, B as trusted notary
let b: FederatingServer; // hs2.test on 127.0.0.2: keys valid 1 hour
let c: FederatingServer; // hs3.test on 127.0.0.3: unreachable from A, reachable from B

beforeAll(async () => {
  dir = makeTempDir('lattice-fed-ca-');
  const ca = createTestCa(dir);
  const [portA, portB, portC, deadPort] = await Promise.all([freePort('127.0.0.1'), freePort('127.0.0.2'), freePort('127.0.0.3'), freePort('127.0.0.1')]);
  b = await startFederatingServer({
    name: 'hs2.test',
    host: '127.0.0.2',
    port: portB,
    ca,
    overrides: { 'hs1.test': `127.0.0.1:${portA}`, 'hs3.test': `127.0.0.3:${portC}` },
    config: { key_refresh_interval: '1h' },
  });
  const bKey = b.homeserver.services.signingKey;
  a = await startFederatingServer({
    name: 'hs1.test',
    host: '127.0.0.1',
    port: portA,
    ca,
    // hs3.test "is down" as far as A can tell: nothing listens on deadPort.
    overrides: { 'hs2.test': `127.0.0.2:${portB}`, 'hs3.test': `127.0.0.1:${deadPort}` },
    config: {
      key_refresh_interval: '30d',
      old_signing_keys: { [OLD_KEY.keyId]: { key: OLD_KEY.publicKeyBase64, expired_ts: OLD_KEY_EXPIRED_TS } },
      trusted_key_servers: [{ server_name: 'hs2.test', verify_keys: { [bKey.keyId]: bKey.publicKeyBase64 } }],
    },
  });
  c = await startFederatingServer({ name: 'hs3.test', host: '127.0.0.3', port: portC, ca });
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

function keyOf(server: FederatingServer): { keyId: string; publicKey: Uint8Array } {
  return server.homeserver.services.signingKey;
}

/** An X-Matrix header from `origin` (signed with its real key unless another is given). */
function xMatrix(
  origin: FederatingServer,
  request: { method: string; uri: string; destination: string; content?: JsonObject },
  overrides: { key?: string; signWith?: typeof OLD_KEY; headerDestination?: string } = {},
): string {
  const key = overrides.signWith ?? origin.homeserver.services.signingKey;
  const signed = signJson(xMatrixSignable({ ...request, origin: origin.name }), origin.name, key);
  const sig = (signed.signatures[origin.name] as JsonObject)[key.keyId] as string;
  return formatXMatrixHeader({ origin: origin.name, destination: overrides.headerDestination ?? request.destination, key: overrides.key ?? key.keyId, sig });
}

describe('publishing keys', () => {
  it('serves GET /_matrix/key/v2/server signed, with valid_until_ts and old_verify_keys', async () => {
    const res = await a.client.get('/_matrix/key/v2/server');
    expect(res.status).toBe(200);
    const checked = checkServerKeyResponse(res.body, 'hs1.test', a.clock.now());
    expect(checked.keys.find((k) => !k.expired)?.publicKey).toEqual(keyOf(a).publicKey);
    expect(res.body.valid_until_ts).toBeGreaterThan(a.clock.now() + 29 * DAY);
    expect(res.body.old_verify_keys).toEqual({ 'ed25519:old': { key: OLD_KEY.publicKeyBase64, expired_ts: OLD_KEY_EXPIRED_TS } });
  });

  it('serves the federation version', async () => {
    const res = await a.client.get('/_matrix/federation/v1/version');
    expect(res.status).toBe(200);
    expect(res.body.server.name).toBe('Lattice');
    expect(res.body.server.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('fetching keys over TLS', () => {
  it('fetches, verifies and stores a peer key, then answers from the cache', async () => {
    const ring = a.homeserver.services.federation.keyRing;
    const now = a.clock.now();
    const [k1, k2, k3] = await Promise.all([1, 2, 3].map(() => ring.getVerifyKey('hs2.test', keyOf(b).keyId, now)));
    expect(k1).toEqual(keyOf(b).publicKey);
    expect(k2).toEqual(k1);
    expect(k3).toEqual(k1);
    // Unknown key ids of a known server stay unknown.
    expect(await ring.getVerifyKey('hs2.test', 'ed25519:nope', now)).toBeUndefined();
    // Cached: with B stopped it would fail; instead, the cache answers and its responses are served on.
    const stored = await ring.storedResponses('hs2.test', [keyOf(b).keyId], now);
    expect(stored).toHaveLength(1);
    expect(verifyJsonSignature(stored[0]!, 'hs2.test', keyOf(b).keyId, keyOf(b).publicKey)).toBe(true);
  });

  it('honours valid_until_ts: an expired key is refetched, and only vouches for times it covered', async () => {
    const ring = a.homeserver.services.federation.keyRing;
    const fetchedAt = a.clock.now();
    expect(await ring.getVerifyKey('hs2.test', keyOf(b).keyId, fetchedAt)).toBeDefined();
    // Two hours later (A's clock) B's published validity (1 hour) has run out: B is asked again,
    // but on B's clock its keys are still only valid for an hour from the real now.
    a.clock.advance(2 * HOUR);
    expect(await ring.getVerifyKey('hs2.test', keyOf(b).keyId, a.clock.now())).toBeUndefined();
    // An event from before the expiry is still checkable (room v5+ rules).
    expect(await ring.getVerifyKey('hs2.test', keyOf(b).keyId, fetchedAt)).toEqual(keyOf(b).publicKey);
    // B's time moves on too and re-signs its keys; once A may ask again it gets the fresh validity.
    b.clock.advance(2 * HOUR);
    a.clock.advance(60_000);
    expect(await ring.getVerifyKey('hs2.test', keyOf(b).keyId, a.clock.now())).toEqual(keyOf(b).publicKey);
  });

  it('caps validity at 7 days from the fetch, whatever the server publishes', async () => {
    const ring = b.homeserver.services.federation.keyRing;
    const now = b.clock.now();
    expect(await ring.getVerifyKey('hs1.test', keyOf(a).keyId, now + 6 * DAY)).toEqual(keyOf(a).publicKey);
    b.clock.advance(60_000); // past the refetch guard: the 8-day question makes B ask A again
    expect(await ring.getVerifyKey('hs1.test', keyOf(a).keyId, now + MAX_KEY_VALIDITY_MS + DAY)).toBeUndefined();
  });

  it('uses old_verify_keys up to their expired_ts only', async () => {
    const ring = b.homeserver.services.federation.keyRing;
    expect(await ring.getVerifyKey('hs1.test', 'ed25519:old', OLD_KEY_EXPIRED_TS - 1)).toEqual(OLD_KEY.publicKey);
    expect(await ring.getVerifyKey('hs1.test', 'ed25519:old', OLD_KEY_EXPIRED_TS + 1)).toBeUndefined();
  });

  it('asks the trusted notary when a server cannot be reached itself', async () => {
    // A cannot reach hs3.test; its notary B can. The relayed keys carry C's and B's signatures.
    const ring = a.homeserver.services.federation.keyRing;
    expect(await ring.getVerifyKey('hs3.test', keyOf(c).keyId, a.clock.now())).toEqual(keyOf(c).publicKey);
  });
});

describe('acting as a notary', () => {
  it('GET /query/{serverName} relays the origin-signed keys with its own signature', async () => {
    const res = await b.client.get('/_matrix/key/v2/query/hs3.test');
    expect(res.status).toBe(200);
    expect(res.body.server_keys).toHaveLength(1);
    const relayed = res.body.server_keys[0] as JsonObject;
    expect(relayed['server_name']).toBe('hs3.test');
    expect(verifyJsonSignature(relayed, 'hs3.test', keyOf(c).keyId, keyOf(c).publicKey)).toBe(true);
    expect(verifyJsonSignature(relayed, 'hs2.test', keyOf(b).keyId, keyOf(b).publicKey)).toBe(true);
  });

  it('POST /query answers several servers (itself included) and names unknown ones with nothing', async () => {
    const res = await b.client.post('/_matrix/key/v2/query', {
      server_keys: {
        'hs1.test': { [keyOf(a).keyId]: { minimum_valid_until_ts: b.clock.now() } },
        'hs2.test': {},
        'unreachable.test': {},
      },
    });
    expect(res.status).toBe(200);
    const byServer = new Map((res.body.server_keys as JsonObject[]).map((k) => [k['server_name'], k]));
    expect([...byServer.keys()].sort()).toEqual(['hs1.test', 'hs2.test']);
    expect(verifyJsonSignature(byServer.get('hs1.test')!, 'hs1.test', keyOf(a).keyId, keyOf(a).publicKey)).toBe(true);
    expect(verifyJsonSignature(byServer.get('hs1.test')!, 'hs2.test', keyOf(b).keyId, keyOf(b).publicKey)).toBe(true);
    expect(verifyJsonSignature(byServer.get('hs2.test')!, 'hs2.test', keyOf(b).keyId, keyOf(b).publicKey)).toBe(true);
  });

  it('refuses a malformed bulk query', async () => {
    expect((await b.client.post('/_matrix/key/v2/query', { server_keys: 'x' })).status).toBe(400);
    expect((await b.client.get('/_matrix/key/v2/query/hs1.test', { query: { minimum_valid_until_ts: 'soon' } })).status).toBe(400);
  });
});

describe('X-Matrix request authentication', () => {
  const profilePath = '/_matrix/federation/v1/query/profile?user_id=%40bob%3Ahs2.test';

  beforeAll(async () => {
    const bob = await registerUser(b.client, 'bob', 'pw');
    await b.client.put(`${CS}/profile/@bob:hs2.test/displayname`, { displayname: 'Bob of hs2' }, { token: bob.accessToken });
  });

  it('round trip: A signs with its key, B fetches it from A and verifies', async () => {
    const profile = await a.homeserver.services.federation.client.request('hs2.test', {
      method: 'GET',
      path: '/_matrix/federation/v1/query/profile',
      query: { user_id: '@bob:hs2.test', field: 'displayname' },
    });
    expect(profile).toEqual({ displayname: 'Bob of hs2' });
  });

  it('verifies the signature over the JSON content too', async () => {
    const auth = b.homeserver.services.federation.requestAuth;
    const content = { pdus: [], edus: [{ edu_type: 'm.typing', content: { typing: true } }] };
    const request = { method: 'PUT', uri: '/_matrix/federation/v1/send/1', destination: 'hs2.test', content };
    const header = xMatrix(a, request);
    expect(await auth.authenticate({ method: 'PUT', uri: request.uri, authorization: [header], content })).toBe('hs1.test');
    const tampered = { ...content, pdus: [{ type: 'm.room.message' }] };
    await expect(auth.authenticate({ method: 'PUT', uri: request.uri, authorization: [header], content: tampered })).rejects.toThrow(MatrixError);
    // Every X-Matrix header must hold: a good one does not cover for a forged one.
    const forged = xMatrix(a, request, { signWith: OLD_KEY, key: keyOf(a).keyId });
    await expect(auth.authenticate({ method: 'PUT', uri: request.uri, authorization: [header, forged], content })).rejects.toThrow(MatrixError);
  });

  const cases: [string, () => Record<string, string>][] = [
    ['no Authorization header', () => ({})],
    ['an access token instead of X-Matrix', () => ({ authorization: 'Bearer syt_abc' })],
    ['a malformed header', () => ({ authorization: 'X-Matrix origin="hs1.test",key=' })],
    ['a header without sig', () => ({ authorization: `X-Matrix origin="hs1.test",destination="hs2.test",key="${keyOf(a).keyId}"` })],
    ['the wrong destination', () => ({ authorization: xMatrix(a, { method: 'GET', uri: profilePath, destination: 'hs3.test' }) })],
    [
      'a destination that differs from the signed one',
      () => ({ authorization: xMatrix(a, { method: 'GET', uri: profilePath, destination: 'hs3.test' }, { headerDestination: 'hs2.test' }) }),
    ],
    ['a signature over another URI', () => ({ authorization: xMatrix(a, { method: 'GET', uri: '/_matrix/federation/v1/version', destination: 'hs2.test' }) })],
    ['a signature over another method', () => ({ authorization: xMatrix(a, { method: 'POST', uri: profilePath, destination: 'hs2.test' }) })],
    ['a signature by another key under the real key id', () => ({ authorization: xMatrix(a, { method: 'GET', uri: profilePath, destination: 'hs2.test' }, { signWith: OLD_KEY, key: keyOf(a).keyId }) })],
    ['an unknown key id', () => ({ authorization: xMatrix(a, { method: 'GET', uri: profilePath, destination: 'hs2.test' }, { key: 'ed25519:unknown' }) })],
    ['an old key past its expiry', () => ({ authorization: xMatrix(a, { method: 'GET', uri: profilePath, destination: 'hs2.test' }, { signWith: OLD_KEY }) })],
    [
      'an origin that cannot be reached for keys',
      () => ({ authorization: formatXMatrixHeader({ origin: 'nowhere.test', destination: 'hs2.test', key: 'ed25519:x', sig: encodeBase64(new Uint8Array(64)) }) }),
    ],
  ];
  for (const [what, headers] of cases) {
    it(`answers 401 M_UNAUTHORIZED to ${what}`, async () => {
      const res = await b.client.get(profilePath, { headers: headers() });
      expect(res.status).toBe(401);
      expect(res.body.errcode).toBe('M_UNAUTHORIZED');
    });
  }

  it('accepts a correctly signed raw request (control for the cases above)', async () => {
    const res = await b.client.get(profilePath, { headers: { authorization: xMatrix(a, { method: 'GET', uri: profilePath, destination: 'hs2.test' }) } });
    expect(res.status).toBe(200);
    expect(res.body.displayname).toBe('Bob of hs2');
  });
});
