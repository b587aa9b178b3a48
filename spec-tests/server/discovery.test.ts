// Discovery endpoints and the HTTP transport's browser support, against a real server.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, registerUser } from '../support/client.js';
import { makeTempDir, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe('discovery', () => {
  it('GET /versions lists spec versions and the MSC3079 low-bandwidth feature', async () => {
    const res = await server.client.get('/_matrix/client/versions');
    expect(res.status).toBe(200);
    expect(res.body.versions).toContain('v1.1');
    expect(res.body.versions).not.toContain('v1.11');
    // The test server runs no CoAP listener, so the feature is advertised as off.
    expect(res.body.unstable_features).toEqual({ 'org.matrix.msc3079.low_bandwidth': false });
  });

  it('GET /.well-known/matrix/client points at the server', async () => {
    const res = await server.client.get('/.well-known/matrix/client');
    expect(res.status).toBe(200);
    expect(res.body['m.homeserver'].base_url).toBe(`${server.baseUrl}/`);
  });

  it('GET /login offers password login', async () => {
    const res = await server.client.get(`${CS}/login`);
    expect(res.status).toBe(200);
    expect(res.body.flows).toEqual([{ type: 'm.login.password' }]);
  });

  it('GET /capabilities needs a token and lists room versions with 12 as default', async () => {
    expect((await server.client.get(`${CS}/capabilities`)).body.errcode).toBe('M_MISSING_TOKEN');
    const alice = await registerUser(server.client, 'capa', 'pw');
    const res = await server.client.get(`${CS}/capabilities`, { token: alice.accessToken });
    expect(res.status).toBe(200);
    const versions = res.body.capabilities['m.room_versions'];
    expect(versions.default).toBe('12');
    expect(versions.available['12']).toBe('stable');
    expect(res.body.capabilities['m.change_password']).toEqual({ enabled: true });
  });

  it('r0 aliases reach the same handlers', async () => {
    const res = await server.client.get('/_matrix/client/r0/login');
    expect(res.status).toBe(200);
    expect(res.body.flows[0].type).toBe('m.login.password');
  });
});

describe('HTTP transport for browsers', () => {
  it('answers CORS preflight on any path', async () => {
    const res = await server.client.request('OPTIONS', `${CS}/login`, {
      headers: { origin: 'https://app.element.io', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
    expect(String(res.headers['access-control-allow-headers'])).toContain('Authorization');
  });

  it('puts CORS headers on ordinary and error responses', async () => {
    const ok = await server.client.get('/_matrix/client/versions');
    expect(ok.headers['access-control-allow-origin']).toBe('*');
    const missing = await server.client.get(`${CS}/no/such/endpoint`);
    expect(missing.headers['access-control-allow-origin']).toBe('*');
  });

  it('accepts the access token in the deprecated access_token query parameter', async () => {
    const bob = await registerUser(server.client, 'querytoken', 'pw');
    const res = await server.client.get(`${CS}/account/whoami`, { query: { access_token: bob.accessToken } });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe(bob.userId);
  });

  it('serves HEAD for GET endpoints', async () => {
    const res = await server.client.request('HEAD', '/_matrix/client/versions');
    expect(res.status).toBe(200);
  });
});

describe('HTTPS', () => {
  it('serves the same API over TLS with the configured certificate', async () => {
    const dir = makeTempDir('lattice-tls-');
    const certPath = path.join(dir, 'cert.pem');
    const keyPath = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', keyPath, '-out', certPath], { stdio: 'ignore' });
    const tls = await startTestServer({ https: { certPath, keyPath } });
    try {
      expect(tls.baseUrl).toMatch(/^https:/);
      const res = await tls.client.get('/_matrix/client/versions');
      expect(res.status).toBe(200);
      const wellKnown = await tls.client.get('/.well-known/matrix/client');
      expect(wellKnown.body['m.homeserver'].base_url).toBe(`${tls.baseUrl}/`);
    } finally {
      await tls.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
