// Password change and account deactivation, both behind user-interactive auth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, login, passwordAuth, registerUser } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const whoami = (token: string) => server.client.get(`${CS}/account/whoami`, { token });

describe('POST /account/password', () => {
  it('needs the current password, then logs out the other devices', async () => {
    const main = await registerUser(server.client, 'paula', 'old-pw');
    const other = await login(server.client, 'paula', 'old-pw');
    const first = await server.client.post(`${CS}/account/password`, { new_password: 'new-pw' }, { token: main.accessToken });
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    const wrong = await server.client.post(
      `${CS}/account/password`,
      { new_password: 'new-pw', auth: passwordAuth('paula', 'bad', first.body.session) },
      { token: main.accessToken },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe('M_FORBIDDEN');

    const ok = await server.client.post(
      `${CS}/account/password`,
      { new_password: 'new-pw', auth: passwordAuth('paula', 'old-pw', first.body.session) },
      { token: main.accessToken },
    );
    expect(ok.status).toBe(200);
    expect((await whoami(main.accessToken)).status).toBe(200);
    expect((await whoami(other.body.access_token)).body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await login(server.client, 'paula', 'old-pw')).status).toBe(403);
    expect((await login(server.client, 'paula', 'new-pw')).status).toBe(200);
  });

  it('keeps other devices with logout_devices: false', async () => {
    const main = await registerUser(server.client, 'quinn', 'pw1');
    const other = await login(server.client, 'quinn', 'pw1');
    const res = await server.client.post(
      `${CS}/account/password`,
      { new_password: 'pw2', logout_devices: false, auth: passwordAuth('quinn', 'pw1') },
      { token: main.accessToken },
    );
    expect(res.status).toBe(200);
    expect((await whoami(other.body.access_token)).status).toBe(200);
  });

  it('requires new_password', async () => {
    const main = await registerUser(server.client, 'rita', 'pw');
    const res = await server.client.post(`${CS}/account/password`, { auth: passwordAuth('rita', 'pw') }, { token: main.accessToken });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe('M_MISSING_PARAM');
    expect(res.body.error).toContain('new_password');
  });
});

describe('POST /account/deactivate', () => {
  it('needs the password, then ends every session, blocks login and keeps the ID taken', async () => {
    const main = await registerUser(server.client, 'dave', 'pw');
    const other = await login(server.client, 'dave', 'pw');
    await server.client.put(`${CS}/profile/@dave:localhost/displayname`, { displayname: 'Dave' }, { token: main.accessToken });
    const first = await server.client.post(`${CS}/account/deactivate`, {}, { token: main.accessToken });
    expect(first.status).toBe(401);
    const res = await server.client.post(`${CS}/account/deactivate`, { auth: passwordAuth('dave', 'pw', first.body.session) }, { token: main.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id_server_unbind_result: 'no-support' });

    expect((await whoami(main.accessToken)).body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await whoami(other.body.access_token)).body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await login(server.client, 'dave', 'pw')).status).toBe(403);
    const available = await server.client.get(`${CS}/register/available`, { query: { username: 'dave' } });
    expect(available.body.errcode).toBe('M_USER_IN_USE');
    const profile = await server.client.get(`${CS}/profile/@dave:localhost`);
    expect(profile.body.displayname).toBeUndefined();
  });
});
