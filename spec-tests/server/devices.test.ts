// Device management, including deletion behind user-interactive auth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, login, passwordAuth, registerUser, type Session } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let dora: Session;
beforeAll(async () => {
  server = await startTestServer();
  dora = await registerUser(server.client, 'dora', 'pw', { initial_device_display_name: 'First' });
});
afterAll(() => server.stop());

const token = () => ({ token: dora.accessToken });

describe('devices', () => {
  it('lists, gets and renames devices', async () => {
    const list = await server.client.get(`${CS}/devices`, token());
    expect(list.status).toBe(200);
    expect(list.body.devices).toHaveLength(1);
    const mine = list.body.devices[0];
    expect(mine).toMatchObject({ device_id: dora.deviceId, display_name: 'First', last_seen_ip: '127.0.0.1' });
    expect(typeof mine.last_seen_ts).toBe('number');

    const put = await server.client.put(`${CS}/devices/${dora.deviceId}`, { display_name: 'Renamed' }, token());
    expect(put.status).toBe(200);
    const got = await server.client.get(`${CS}/devices/${dora.deviceId}`, token());
    expect(got.body.display_name).toBe('Renamed');
    // No display_name: nothing changes.
    await server.client.put(`${CS}/devices/${dora.deviceId}`, {}, token());
    expect((await server.client.get(`${CS}/devices/${dora.deviceId}`, token())).body.display_name).toBe('Renamed');
  });

  it('404 for devices that do not exist or belong to someone else', async () => {
    const other = await registerUser(server.client, 'otto', 'pw');
    for (const id of ['NOSUCHDEVICE', other.deviceId]) {
      const got = await server.client.get(`${CS}/devices/${id}`, token());
      expect(got.status).toBe(404);
      expect(got.body.errcode).toBe('M_NOT_FOUND');
      const put = await server.client.put(`${CS}/devices/${id}`, { display_name: 'x' }, token());
      expect(put.status).toBe(404);
    }
  });

  it('device IDs with reserved characters round-trip through the path', async () => {
    const s = await login(server.client, 'dora', 'pw', { device_id: 'a/b c%d' });
    const got = await server.client.get(`${CS}/devices/${encodeURIComponent('a/b c%d')}`, token());
    expect(got.status).toBe(200);
    expect(got.body.device_id).toBe('a/b c%d');
    await server.client.post(`${CS}/logout`, {}, { token: s.body.access_token });
  });

  it('DELETE /devices/{id} asks for the password, then deletes the device and its session', async () => {
    const extra = await login(server.client, 'dora', 'pw', { device_id: 'TABLET' });
    const first = await server.client.delete(`${CS}/devices/TABLET`, {}, token());
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ['m.login.password'] }]);

    const wrong = await server.client.delete(`${CS}/devices/TABLET`, { auth: passwordAuth('dora', 'nope', first.body.session) }, token());
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe('M_FORBIDDEN');
    expect((await server.client.get(`${CS}/devices/TABLET`, token())).status).toBe(200);

    const ok = await server.client.delete(`${CS}/devices/TABLET`, { auth: passwordAuth('dora', 'pw', first.body.session) }, token());
    expect(ok.status).toBe(200);
    expect((await server.client.get(`${CS}/devices/TABLET`, token())).status).toBe(404);
    const dead = await server.client.get(`${CS}/account/whoami`, { token: extra.body.access_token });
    expect(dead.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('the password stage must name the account itself', async () => {
    await registerUser(server.client, 'mallory', 'malpw');
    await login(server.client, 'dora', 'pw', { device_id: 'KEEP' });
    const res = await server.client.delete(`${CS}/devices/KEEP`, { auth: passwordAuth('mallory', 'malpw') }, token());
    expect(res.status).toBe(401);
    expect((await server.client.get(`${CS}/devices/KEEP`, token())).status).toBe(200);
  });

  it('a UIA session cannot be carried over to another operation or user', async () => {
    const started = await server.client.delete(`${CS}/devices/KEEP`, {}, token());
    const other = await server.client.post(`${CS}/delete_devices`, { devices: ['KEEP'], auth: passwordAuth('dora', 'pw', started.body.session) }, token());
    expect(other.status).toBe(403);
  });

  it('POST /delete_devices deletes several devices at once', async () => {
    await login(server.client, 'dora', 'pw', { device_id: 'ONE' });
    await login(server.client, 'dora', 'pw', { device_id: 'TWO' });
    const res = await server.client.post(`${CS}/delete_devices`, { devices: ['ONE', 'TWO', 'NEVER'], auth: passwordAuth('@dora:localhost', 'pw') }, token());
    expect(res.status).toBe(200);
    const ids = (await server.client.get(`${CS}/devices`, token())).body.devices.map((d: { device_id: string }) => d.device_id);
    expect(ids).not.toContain('ONE');
    expect(ids).not.toContain('TWO');
    expect(ids).toContain(dora.deviceId);
    const missing = await server.client.post(`${CS}/delete_devices`, { auth: passwordAuth('dora', 'pw') }, token());
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
  });
});
