// Error paths of the shared request path over HTTP: malformed bodies, unknown routes, size and
// rate limits — and that nothing a client sends makes the server answer 500 or fall over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../../src/api/routes.js';
import { endpointTable } from '../../src/api/table.js';
import { CS, login, registerUser } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { max_request_body_size: 2048 } });
  await registerUser(server.client, 'erin', 'pw');
});
afterAll(() => server.stop());

describe('malformed requests', () => {
  it('M_NOT_JSON for bodies that are not JSON, or not a JSON object', async () => {
    for (const raw of ['{"type": "m.login.password"', 'type=m.login.password', '[1,2]', '"text"', '\xff\xfe']) {
      const res = await server.client.request('POST', `${CS}/login`, { raw, headers: { 'content-type': 'application/json' } });
      expect(res.status, raw).toBe(400);
      expect(res.body.errcode, raw).toBe('M_NOT_JSON');
    }
  });

  it('parses JSON whatever the Content-Type says (as Synapse does)', async () => {
    const body = JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'erin' }, password: 'pw' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await server.client.request('POST', `${CS}/login`, { raw: body, headers: { 'content-type': type } });
      expect(res.status, type).toBe(200);
    }
  });

  it('M_BAD_JSON for wrong types and M_MISSING_PARAM for missing fields, naming the field', async () => {
    const wrongType = await server.client.post(`${CS}/login`, { type: 'm.login.password', password: 7 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errcode).toBe('M_BAD_JSON');
    expect(wrongType.body.error).toContain("'password'");
    const missing = await server.client.post(`${CS}/login`, { password: 'pw' });
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
    expect(missing.body.error).toContain("'type'");
    const nested = await server.client.post(`${CS}/register`, { auth: { type: 5 } });
    expect(nested.body.errcode).toBe('M_BAD_JSON');
    expect(nested.body.error).toContain('auth.type');
  });

  it('an empty body counts as {} (clients POST /logout without one)', async () => {
    const s = await login(server.client, 'erin', 'pw');
    const res = await server.client.request('POST', `${CS}/logout`, { token: s.body.access_token });
    expect(res.status).toBe(200);
    const register = await server.client.request('POST', `${CS}/register`);
    expect(register.status).toBe(401);
  });
});

describe('routing', () => {
  it('404 M_UNRECOGNIZED for unknown endpoints', async () => {
    for (const path of [`${CS}/nope`, '/_matrix/client/v3', '/', '/_matrix/client/v3/login/extra']) {
      const res = await server.client.get(path);
      expect(res.status, path).toBe(404);
      expect(res.body.errcode, path).toBe('M_UNRECOGNIZED');
    }
  });

  it('405 M_UNRECOGNIZED for a known path with the wrong method', async () => {
    const res = await server.client.request('PUT', `${CS}/login`, { json: {} });
    expect(res.status).toBe(405);
    expect(res.body.errcode).toBe('M_UNRECOGNIZED');
    expect(res.headers['allow']).toBe('GET, POST');
    const del = await server.client.request('DELETE', '/_matrix/client/versions');
    expect(del.status).toBe(405);
  });

  it('400 for malformed percent-encoding in the path', async () => {
    const res = await server.client.get(`${CS}/profile/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBeDefined();
  });
});

describe('limits', () => {
  it('413 M_TOO_LARGE for bodies over max_request_body_size', async () => {
    const res = await server.client.post(`${CS}/login`, { type: 'm.login.password', password: 'x'.repeat(4096) });
    expect(res.status).toBe(413);
    expect(res.body.errcode).toBe('M_TOO_LARGE');
  });

  describe('rate limiting', () => {
    let limited: TestServer;
    beforeAll(async () => {
      limited = await startTestServer({
        config: {
          rc_login: { address: { per_second: 0.5, burst_count: 2 }, account: { per_second: 100, burst_count: 100 }, failed_attempts: { per_second: 0.1, burst_count: 2 } },
          rc_registration: { per_second: 0.1, burst_count: 3 },
        },
      });
      await registerUser(limited.client, 'rl', 'pw');
    });
    afterAll(() => limited.stop());

    it('429 M_LIMIT_EXCEEDED with retry_after_ms and Retry-After, then recovers', async () => {
      expect((await login(limited.client, 'rl', 'pw')).status).toBe(200);
      expect((await login(limited.client, 'rl', 'pw')).status).toBe(200);
      const third = await login(limited.client, 'rl', 'pw');
      expect(third.status).toBe(429);
      expect(third.body.errcode).toBe('M_LIMIT_EXCEEDED');
      expect(third.body.retry_after_ms).toBeGreaterThan(0);
      expect(third.body.retry_after_ms).toBeLessThanOrEqual(2000);
      expect(Number(third.headers['retry-after'])).toBe(Math.ceil(third.body.retry_after_ms / 1000));
      limited.clock.advance(third.body.retry_after_ms);
      expect((await login(limited.client, 'rl', 'pw')).status).toBe(200);
    });

    it('counts registrations per address, not the UIA round trips before them', async () => {
      // 'rl' was the first of three allowed accounts; each registration takes two requests.
      await registerUser(limited.client, 'rl2', 'pw');
      await registerUser(limited.client, 'rl3', 'pw');
      const fourth = await limited.client.post(`${CS}/register`, { username: 'rl4', password: 'pw' });
      expect(fourth.status).toBe(429);
      expect(fourth.body.errcode).toBe('M_LIMIT_EXCEEDED');
      limited.clock.advance(fourth.body.retry_after_ms);
      expect((await registerUser(limited.client, 'rl4', 'pw')).userId).toBe('@rl4:localhost');
    });

    it('limits failed password attempts per account, even with the right password', async () => {
      limited.clock.advance(60_000);
      // Two seconds between attempts keep the per-address bucket (0.5/s) empty.
      expect((await login(limited.client, 'rl', 'bad')).status).toBe(403);
      limited.clock.advance(2000);
      expect((await login(limited.client, 'rl', 'bad')).status).toBe(403);
      limited.clock.advance(2000);
      const locked = await login(limited.client, 'rl', 'pw');
      expect(locked.status).toBe(429);
      expect(locked.body.errcode).toBe('M_LIMIT_EXCEEDED');
      limited.clock.advance(locked.body.retry_after_ms);
      expect((await login(limited.client, 'rl', 'pw')).status).toBe(200);
    });
  });
});

describe('robustness', () => {
  it('no endpoint answers 500 to hostile input, and the server keeps serving', async () => {
    const bodies: (string | undefined)[] = [undefined, 'null', '"x"', '[]', '{}', '{"auth":7,"devices":"x","type":[]}', '{"__proto__":{"admin":true}}', '{'];
    let session = await registerUser(server.client, 'fuzz', 'pw');
    let requests = 0;
    for (const { method, template } of routesOf(endpointTable)) {
      const paramValues = template.includes('{') ? ['x', '%00', '@fuzz:localhost'] : [''];
      for (const paramValue of paramValues) {
        const path = template.replace(/\{[^}]+\}/g, paramValue);
        for (const raw of bodies) {
          const res = await server.client.request(method, path, {
            ...(raw !== undefined ? { raw } : {}),
            token: session.accessToken,
            headers: { 'content-type': 'application/json' },
          });
          requests++;
          // Media of another server ('x') is fetched from it: unreachable (DNS answers nothing in
          // tests) is the spec's 502, a gateway error rather than a fault of ours.
          const gateway = res.status === 502 && path.includes('/media/');
          if (!gateway) expect(res.status, `${method} ${path} ${raw}`).toBeLessThan(500);
          // Every error is a Matrix error; a UIA 401 may instead be a bare auth response (flows).
          if (res.status >= 400 && !(res.status === 401 && res.body.flows)) expect(typeof res.body.errcode, `${method} ${path} ${raw}`).toBe('string');
          if (res.status === 401 && res.body.errcode === 'M_UNKNOWN_TOKEN') {
            session = { ...session, accessToken: (await login(server.client, 'fuzz', 'pw')).body.access_token };
          }
        }
      }
    }
    expect(requests).toBeGreaterThan(100);
    expect((await server.client.get('/_matrix/client/versions')).status).toBe(200);
  });
});
