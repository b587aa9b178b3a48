// Issuing sensor credentials: `lattice sensor add` (in process, against the running server's data
// dir), the client endpoint, and revocation by deactivation. The printed credentials are used
// as a sensor would: from the CBOR blob alone.
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { credentialsFromCbor } from '../../src/services/oscore/credentials.js';
import { SensorClient } from '../../src/transport/coap/client/sensor-client.js';
import { startSensorServer, type SensorServer } from './support/sensor-server.js';

const FAST = { ackTimeoutMs: 300, ackRandomFactor: 1.5, maxRetransmit: 4 };
const WHOAMI = ['_matrix', 'client', 'v3', 'account', 'whoami'];

let server: SensorServer;
let userId: string;

beforeAll(async () => {
  server = await startSensorServer();
  userId = await server.register('gardener');
});
afterAll(async () => {
  await server.stop();
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await runCli(args, { stdin: new PassThrough(), stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

interface PrintedCredentials {
  user_id: string;
  device_id: string;
  room_id?: string;
  coap: { host: string; port: number };
  oscore: { master_secret: string; master_salt: string; sender_id: string; recipient_id: string; aead_alg: number; hkdf: string };
  cbor: string;
}

describe('lattice sensor add', () => {
  it('prints JSON credentials whose CBOR blob alone lets the sensor act as its new device', async () => {
    const result = await cli(['sensor', 'add', 'gardener', 'soil probe', '--room', '!garden:localhost', '--data-dir', server.dataDir, '--coap', `127.0.0.1:${server.coapPort}`]);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as PrintedCredentials;
    expect(printed).toMatchObject({ user_id: userId, room_id: '!garden:localhost', coap: { host: '127.0.0.1', port: server.coapPort }, oscore: { aead_alg: 10, hkdf: 'HKDF-SHA-256', recipient_id: '' } });
    expect(printed.oscore.master_secret).toMatch(/^[0-9a-f]{32}$/);
    expect(printed.oscore.master_salt).toMatch(/^[0-9a-f]{16}$/);
    expect(printed.oscore.sender_id.length).toBeGreaterThanOrEqual(2);
    expect(result.stdout).not.toMatch(/lat_/); // no access token anywhere

    const blob = credentialsFromCbor(Buffer.from(printed.cbor, 'hex'));
    expect(blob.masterSecret.toString('hex')).toBe(printed.oscore.master_secret);
    expect(blob.senderId.toString('hex')).toBe(printed.oscore.sender_id);
    expect(blob.roomId).toBe('!garden:localhost');
    expect(Buffer.from(printed.cbor, 'hex').length).toBeLessThan(120);

    // The device exists with its name, and the running server accepts the context at once.
    expect(server.homeserver.services.devices.get(userId, printed.device_id).displayName).toBe('soil probe');
    const sensor = SensorClient.fromCredentials(blob, { timing: FAST });
    try {
      const reply = await sensor.request({ method: 'GET', path: WHOAMI });
      expect(reply.code).toBe('2.05');
      expect(reply.json()).toMatchObject({ user_id: userId, device_id: printed.device_id });
    } finally {
      sensor.close();
    }
  });

  it('refuses an unknown user and a bad room ID in one line', async () => {
    const unknown = await cli(['sensor', 'add', 'nobody', 'x', '--data-dir', server.dataDir, '--coap', `127.0.0.1:${server.coapPort}`]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/M_NOT_FOUND/);
    const badRoom = await cli(['sensor', 'add', 'gardener', 'x', '--room', 'garden', '--data-dir', server.dataDir, '--coap', `127.0.0.1:${server.coapPort}`]);
    expect(badRoom.code).toBe(1);
    expect(badRoom.stderr.trimEnd().split('\n')).toHaveLength(1);
    const usage = await cli(['sensor', 'remove']);
    expect(usage.code).toBe(1);
  });
});

describe('POST /_matrix/client/unstable/org.lattice.sensors', () => {
  async function login(localpart: string): Promise<string> {
    const res = await fetch(`${server.httpBase}/_matrix/client/v3/login`, {
      method: 'POST',
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: `pw-${localpart}-1` }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('issues a sensor for the requester; the credentials work over CoAP', async () => {
    const token = await login('gardener');
    const res = await fetch(`${server.httpBase}/_matrix/client/unstable/org.lattice.sensors`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ device_name: 'rain gauge' }),
    });
    expect(res.status).toBe(200);
    const printed = (await res.json()) as PrintedCredentials;
    expect(printed.coap.port).toBe(server.coapPort);
    const sensor = SensorClient.fromCredentials(credentialsFromCbor(Buffer.from(printed.cbor, 'hex')), { timing: FAST });
    try {
      expect((await sensor.request({ method: 'GET', path: WHOAMI })).json()).toMatchObject({ user_id: userId, device_id: printed.device_id });
    } finally {
      sensor.close();
    }
    const devices = await fetch(`${server.httpBase}/_matrix/client/v3/devices`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await devices.json()) as { devices: { device_id: string; display_name?: string }[] }).devices).toContainEqual(
      expect.objectContaining({ device_id: printed.device_id, display_name: 'rain gauge' }),
    );
  });

  it('needs an access token and a device name', async () => {
    const anonymous = await fetch(`${server.httpBase}/_matrix/client/unstable/org.lattice.sensors`, { method: 'POST', body: JSON.stringify({ device_name: 'x' }) });
    expect(anonymous.status).toBe(401);
    const token = await login('gardener');
    const nameless = await fetch(`${server.httpBase}/_matrix/client/unstable/org.lattice.sensors`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
    expect(nameless.status).toBe(400);
  });
});

describe('revocation', () => {
  it('deactivating the account revokes every sensor context of it', async () => {
    const owner = await server.register('leaver');
    const credentials = server.addSensor(owner, 'left behind');
    const sensor = SensorClient.fromCredentials(credentials, { timing: FAST });
    try {
      expect((await sensor.request({ method: 'GET', path: WHOAMI })).code).toBe('2.05');
      const login = await fetch(`${server.httpBase}/_matrix/client/v3/login`, {
        method: 'POST',
        body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'leaver' }, password: 'pw-leaver-1' }),
      });
      const token = ((await login.json()) as { access_token: string }).access_token;
      const deactivate = await fetch(`${server.httpBase}/_matrix/client/v3/account/deactivate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({ auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'leaver' }, password: 'pw-leaver-1' } }),
      });
      expect(deactivate.status).toBe(200);
      const after = await sensor.request({ method: 'GET', path: WHOAMI });
      expect(after.code).toBe('4.01');
      expect(after.text).toBe('Security context not found');
    } finally {
      sensor.close();
    }
  });
});
