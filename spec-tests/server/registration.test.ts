// POST /register with user-interactive auth, username availability, registration tokens and
// closed registration, against a real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, login, registerUser } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe('register with m.login.dummy', () => {
  it('answers a first request with the UIA flows and a session', async () => {
    const res = await server.client.post(`${CS}/register`, { username: 'flowcheck', password: 'pw' });
    expect(res.status).toBe(401);
    expect(res.body.flows).toEqual([{ stages: ['m.login.dummy'] }]);
    expect(res.body.params).toEqual({});
    expect(typeof res.body.session).toBe('string');
    expect(res.body.errcode).toBeUndefined();
  });

  it('completes the dummy stage and returns a working session', async () => {
    const first = await server.client.post(`${CS}/register`, { username: 'alice', password: 'secret' });
    const res = await server.client.post(`${CS}/register`, {
      username: 'alice',
      password: 'secret',
      initial_device_display_name: 'Alice phone',
      auth: { type: 'm.login.dummy', session: first.body.session },
    });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe('@alice:localhost');
    expect(res.body.home_server).toBe('localhost');
    expect(res.body.device_id).toMatch(/^[A-Z]{10}$/);
    const whoami = await server.client.get(`${CS}/account/whoami`, { token: res.body.access_token });
    expect(whoami.body).toEqual({ user_id: '@alice:localhost', device_id: res.body.device_id, is_guest: false });
    const devices = await server.client.get(`${CS}/devices`, { token: res.body.access_token });
    expect(devices.body.devices).toHaveLength(1);
    expect(devices.body.devices[0].display_name).toBe('Alice phone');
    // The password chosen at registration logs in.
    expect((await login(server.client, 'alice', 'secret')).status).toBe(200);
  });

  it('accepts the dummy stage without a prior session', async () => {
    const res = await server.client.post(`${CS}/register`, { username: 'oneshot', password: 'pw', auth: { type: 'm.login.dummy' } });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe('@oneshot:localhost');
  });

  it('rejects a taken username with M_USER_IN_USE before authentication', async () => {
    await registerUser(server.client, 'taken', 'pw');
    const res = await server.client.post(`${CS}/register`, { username: 'taken', password: 'pw' });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe('M_USER_IN_USE');
  });

  it('rejects invalid usernames with M_INVALID_USERNAME', async () => {
    for (const username of ['white space', 'é', '_reserved', 'x'.repeat(300), '']) {
      const res = await server.client.post(`${CS}/register`, { username, password: 'pw' });
      expect(res.status, username).toBe(400);
      expect(res.body.errcode, username).toBe('M_INVALID_USERNAME');
    }
  });

  it('maps upper case usernames to lower case', async () => {
    const s = await registerUser(server.client, 'MixedCase', 'pw');
    expect(s.userId).toBe('@mixedcase:localhost');
  });

  it('generates a user ID when no username is given', async () => {
    const s = await registerUser(server.client, undefined as unknown as string, 'pw');
    expect(s.userId).toMatch(/^@[a-z0-9]+:localhost$/);
  });

  it('keeps the client-chosen device ID', async () => {
    const s = await registerUser(server.client, 'withdevice', 'pw', { device_id: 'MYDEVICE' });
    expect(s.deviceId).toBe('MYDEVICE');
  });

  it('honours inhibit_login', async () => {
    const res = await server.client.post(`${CS}/register`, { username: 'nologin', password: 'pw', inhibit_login: true, auth: { type: 'm.login.dummy' } });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe('@nologin:localhost');
    expect(res.body.access_token).toBeUndefined();
    expect(res.body.device_id).toBeUndefined();
  });

  it('issues a refresh token when asked', async () => {
    const s = await registerUser(server.client, 'refresher', 'pw', { refresh_token: true });
    expect(s.refreshToken).toMatch(/^latr_/);
  });

  it('rejects an unknown session and an unoffered stage', async () => {
    const unknown = await server.client.post(`${CS}/register`, { username: 'sess', password: 'pw', auth: { type: 'm.login.dummy', session: 'nope' } });
    expect(unknown.status).toBe(400);
    const first = await server.client.post(`${CS}/register`, { username: 'sess', password: 'pw' });
    const wrongStage = await server.client.post(`${CS}/register`, {
      username: 'sess',
      password: 'pw',
      auth: { type: 'm.login.password', session: first.body.session },
    });
    expect(wrongStage.status).toBe(401);
    expect(wrongStage.body.errcode).toBe('M_UNRECOGNIZED');
    expect(wrongStage.body.session).toBe(first.body.session);
  });

  it('refuses guest accounts', async () => {
    const res = await server.client.post(`${CS}/register`, {}, { query: { kind: 'guest' } });
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe('M_FORBIDDEN');
  });
});

describe('GET /register/available', () => {
  it('reports free, taken and invalid usernames', async () => {
    const free = await server.client.get(`${CS}/register/available`, { query: { username: 'freeuser' } });
    expect(free.status).toBe(200);
    expect(free.body).toEqual({ available: true });
    await registerUser(server.client, 'busyuser', 'pw');
    const taken = await server.client.get(`${CS}/register/available`, { query: { username: 'busyuser' } });
    expect(taken.status).toBe(400);
    expect(taken.body.errcode).toBe('M_USER_IN_USE');
    const invalid = await server.client.get(`${CS}/register/available`, { query: { username: 'no way' } });
    expect(invalid.body.errcode).toBe('M_INVALID_USERNAME');
    const missing = await server.client.get(`${CS}/register/available`);
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
  });
});

describe('registration tokens', () => {
  let tokenServer: TestServer;
  beforeAll(async () => {
    tokenServer = await startTestServer({
      config: { registration_requires_token: true, registration_tokens: [{ token: 'once', uses_allowed: 1 }, 'many'] },
    });
  });
  afterAll(() => tokenServer.stop());

  it('offers only the m.login.registration_token flow', async () => {
    const res = await tokenServer.client.post(`${CS}/register`, { username: 'tok1', password: 'pw' });
    expect(res.status).toBe(401);
    expect(res.body.flows).toEqual([{ stages: ['m.login.registration_token'] }]);
    const dummy = await tokenServer.client.post(`${CS}/register`, { username: 'tok1', password: 'pw', auth: { type: 'm.login.dummy', session: res.body.session } });
    expect(dummy.status).toBe(401);
  });

  it('rejects a wrong token and accepts a valid one until it is used up', async () => {
    const first = await tokenServer.client.post(`${CS}/register`, { username: 'tok2', password: 'pw' });
    const wrong = await tokenServer.client.post(`${CS}/register`, {
      username: 'tok2',
      password: 'pw',
      auth: { type: 'm.login.registration_token', token: 'guess', session: first.body.session },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe('M_UNAUTHORIZED');
    const right = await tokenServer.client.post(`${CS}/register`, {
      username: 'tok2',
      password: 'pw',
      auth: { type: 'm.login.registration_token', token: 'once', session: first.body.session },
    });
    expect(right.status).toBe(200);
    expect(right.body.user_id).toBe('@tok2:localhost');

    const validity = await tokenServer.client.get('/_matrix/client/v1/register/m.login.registration_token/validity', { query: { token: 'once' } });
    expect(validity.body).toEqual({ valid: false });
    const again = await tokenServer.client.post(`${CS}/register`, { username: 'tok3', password: 'pw', auth: { type: 'm.login.registration_token', token: 'once' } });
    expect(again.status).toBe(401);
    const unlimited = await tokenServer.client.post(`${CS}/register`, { username: 'tok3', password: 'pw', auth: { type: 'm.login.registration_token', token: 'many' } });
    expect(unlimited.status).toBe(200);
    const stillValid = await tokenServer.client.get('/_matrix/client/v1/register/m.login.registration_token/validity', { query: { token: 'many' } });
    expect(stillValid.body).toEqual({ valid: true });
  });
});

describe('closed registration', () => {
  let closed: TestServer;
  beforeAll(async () => {
    closed = await startTestServer({ config: { enable_registration: false } });
  });
  afterAll(() => closed.stop());

  it('answers 403 M_FORBIDDEN', async () => {
    const res = await closed.client.post(`${CS}/register`, { username: 'nobody', password: 'pw' });
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe('M_FORBIDDEN');
  });
});
