// Login, whoami, logout, refresh tokens and soft logout, against a real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, login, registerUser } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { refreshable_access_token_lifetime: '1m' } });
  await registerUser(server.client, 'lena', 'correct horse');
});
afterAll(() => server.stop());

const whoami = (token: string) => server.client.get(`${CS}/account/whoami`, { token });

describe('POST /login', () => {
  it('logs in by localpart, by full user ID and by the deprecated user field', async () => {
    const byLocalpart = await login(server.client, 'lena', 'correct horse');
    expect(byLocalpart.status).toBe(200);
    expect(byLocalpart.body.user_id).toBe('@lena:localhost');
    expect(byLocalpart.body.refresh_token).toBeUndefined();
    expect((await whoami(byLocalpart.body.access_token)).body.device_id).toBe(byLocalpart.body.device_id);

    const byUserId = await login(server.client, '@lena:localhost', 'correct horse');
    expect(byUserId.status).toBe(200);
    // Each login is a new device with its own token.
    expect(byUserId.body.device_id).not.toBe(byLocalpart.body.device_id);
    expect(byUserId.body.access_token).not.toBe(byLocalpart.body.access_token);

    const legacy = await server.client.post(`${CS}/login`, { type: 'm.login.password', user: 'lena', password: 'correct horse' });
    expect(legacy.status).toBe(200);
  });

  it('rejects a wrong password and an unknown user alike with 403 M_FORBIDDEN', async () => {
    const wrong = await login(server.client, 'lena', 'wrong');
    expect(wrong.status).toBe(403);
    expect(wrong.body.errcode).toBe('M_FORBIDDEN');
    const unknown = await login(server.client, 'nobody', 'whatever');
    expect(unknown.status).toBe(403);
    expect(unknown.body.errcode).toBe('M_FORBIDDEN');
    const otherServer = await login(server.client, '@lena:elsewhere.org', 'correct horse');
    expect(otherServer.status).toBe(403);
  });

  it('rejects unsupported login types and identifiers, and a missing password', async () => {
    const token = await server.client.post(`${CS}/login`, { type: 'm.login.token', token: 'x' });
    expect(token.status).toBe(400);
    expect(token.body.errcode).toBe('M_UNKNOWN');
    const thirdParty = await server.client.post(`${CS}/login`, {
      type: 'm.login.password',
      identifier: { type: 'm.id.thirdparty', medium: 'email', address: 'a@b.c' },
      password: 'x',
    });
    expect(thirdParty.status).toBe(400);
    const noPassword = await server.client.post(`${CS}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'lena' } });
    expect(noPassword.status).toBe(400);
    expect(noPassword.body.errcode).toBe('M_MISSING_PARAM');
  });

  it('reuses a known device ID and retires its previous token', async () => {
    const first = await login(server.client, 'lena', 'correct horse', { device_id: 'LAPTOP', initial_device_display_name: 'Laptop' });
    expect(first.body.device_id).toBe('LAPTOP');
    const second = await login(server.client, 'lena', 'correct horse', { device_id: 'LAPTOP', initial_device_display_name: 'Ignored' });
    expect(second.body.device_id).toBe('LAPTOP');
    expect((await whoami(first.body.access_token)).body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await whoami(second.body.access_token)).status).toBe(200);
    const device = await server.client.get(`${CS}/devices/LAPTOP`, { token: second.body.access_token });
    expect(device.body.display_name).toBe('Laptop');
  });
});

describe('authentication errors', () => {
  it('M_MISSING_TOKEN without a token, M_UNKNOWN_TOKEN (not soft) for a bad one', async () => {
    const missing = await server.client.get(`${CS}/account/whoami`);
    expect(missing.status).toBe(401);
    expect(missing.body.errcode).toBe('M_MISSING_TOKEN');
    const bad = await whoami('lat_not-a-real-token');
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
    const malformedHeader = await server.client.get(`${CS}/account/whoami`, { headers: { authorization: 'Basic abc' } });
    expect(malformedHeader.body.errcode).toBe('M_MISSING_TOKEN');
  });
});

describe('logout', () => {
  it('POST /logout ends the session and deletes the device', async () => {
    const a = await login(server.client, 'lena', 'correct horse');
    const b = await login(server.client, 'lena', 'correct horse');
    const out = await server.client.post(`${CS}/logout`, {}, { token: a.body.access_token });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({});
    expect((await whoami(a.body.access_token)).body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
    const devices = await server.client.get(`${CS}/devices`, { token: b.body.access_token });
    const ids = devices.body.devices.map((d: { device_id: string }) => d.device_id);
    expect(ids).toContain(b.body.device_id);
    expect(ids).not.toContain(a.body.device_id);
  });

  it('POST /logout/all ends every session of the user', async () => {
    const u = await registerUser(server.client, 'many', 'pw');
    const other = await login(server.client, 'many', 'pw');
    const bystander = await registerUser(server.client, 'bystander', 'pw');
    const out = await server.client.post(`${CS}/logout/all`, {}, { token: u.accessToken });
    expect(out.status).toBe(200);
    expect((await whoami(u.accessToken)).status).toBe(401);
    expect((await whoami(other.body.access_token)).status).toBe(401);
    expect((await whoami(bystander.accessToken)).status).toBe(200);
  });
});

describe('refresh tokens and soft logout', () => {
  it('issues expiring access tokens with a refresh token when asked', async () => {
    const res = await login(server.client, 'lena', 'correct horse', { refresh_token: true });
    expect(res.status).toBe(200);
    expect(res.body.expires_in_ms).toBe(60_000);
    expect(res.body.refresh_token).toMatch(/^latr_/);
  });

  it('an expired access token is a soft logout; refreshing gives a working pair', async () => {
    const res = await login(server.client, 'lena', 'correct horse', { refresh_token: true });
    expect((await whoami(res.body.access_token)).status).toBe(200);
    server.clock.advance(61_000);
    const expired = await whoami(res.body.access_token);
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: true });

    const refreshed = await server.client.post(`${CS}/refresh`, { refresh_token: res.body.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.expires_in_ms).toBe(60_000);
    expect(refreshed.body.refresh_token).not.toBe(res.body.refresh_token);
    const me = await whoami(refreshed.body.access_token);
    expect(me.status).toBe(200);
    // Same device: refreshing continues the session.
    expect(me.body.device_id).toBe(res.body.device_id);
  });

  it('the old refresh token works until the new pair is used, then never again', async () => {
    const res = await login(server.client, 'lena', 'correct horse', { refresh_token: true });
    const r1 = await server.client.post(`${CS}/refresh`, { refresh_token: res.body.refresh_token });
    // The client lost r1's response and retries with the same refresh token: allowed.
    const r2 = await server.client.post(`${CS}/refresh`, { refresh_token: res.body.refresh_token });
    expect(r2.status).toBe(200);
    // r1's pair was superseded by the retry.
    expect((await whoami(r1.body.access_token)).status).toBe(401);
    expect((await whoami(r2.body.access_token)).status).toBe(200);
    const replay = await server.client.post(`${CS}/refresh`, { refresh_token: res.body.refresh_token });
    expect(replay.status).toBe(401);
    expect(replay.body.errcode).toBe('M_UNKNOWN_TOKEN');
    // The newest refresh token keeps the chain going.
    const r3 = await server.client.post(`${CS}/refresh`, { refresh_token: r2.body.refresh_token });
    expect(r3.status).toBe(200);
  });

  it('rejects unknown refresh tokens', async () => {
    const res = await server.client.post(`${CS}/refresh`, { refresh_token: 'latr_nope' });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
  });

  it('logging out ends the refresh chain too', async () => {
    const res = await login(server.client, 'lena', 'correct horse', { refresh_token: true });
    await server.client.post(`${CS}/logout`, {}, { token: res.body.access_token });
    const after = await server.client.post(`${CS}/refresh`, { refresh_token: res.body.refresh_token });
    expect(after.status).toBe(401);
  });
});
