// libcoap's coap-client-openssl, unmodified, as a sensor over CoAP over TLS-PSK (RFC 8323): the
// credentials from `lattice sensor add` (tls_psk identity and key) authenticate the device, no
// access token is sent. Block2 download and Block1 upload of a 3 KB body, a wrong key, and a
// deleted device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecurityContext } from '../../src/core/oscore/security-context.js';
import { credentialsToJson, type SensorCredentials } from '../../src/services/oscore/credentials.js';
import { decodeTcpFrame, encodeTcpMessage, type TcpMessage } from '../../src/transport/coap/tcp/framing.js';
import { startCoapTlsServer } from '../../src/transport/coap/tcp/tls-server.js';
import { connect } from 'node:tls';
import { libcoapTls } from './support/libcoap-tls.js';
import { startSensorServer, type SensorServer } from './support/sensor-server.js';

let server: SensorServer;
let userId: string;
let tlsPort: number;

beforeAll(async () => {
  server = await startSensorServer();
  userId = await server.register('tinkerer');
  tlsPort = server.tlsPort;
});
afterAll(async () => {
  await server.stop();
});

function psk(c: SensorCredentials): { identity: string; key: string } {
  const printed = credentialsToJson(c) as { tls_psk: { identity: string; key: string } };
  return printed.tls_psk;
}
const base = (): string => `coaps+tcp://127.0.0.1:${tlsPort}`;

describe('libcoap over coaps+tcp with the sensor PSK', () => {
  it('whoami names the sensor device', async () => {
    const credentials = server.addSensor(userId, 'libcoap probe');
    const result = await libcoapTls({ uri: `${base()}/_matrix/client/v3/account/whoami`, accept: 50, ...psk(credentials) });
    expect(result.stderr).not.toMatch(/4\.\d\d|5\.\d\d/);
    expect(JSON.parse(result.payload.toString())).toMatchObject({ user_id: userId, device_id: credentials.deviceId });
  });

  it('uploads a 3 KB body block-wise and reads it back block-wise', async () => {
    const credentials = server.addSensor(userId, 'libcoap blocks');
    const filter = { room: { timeline: { types: Array.from({ length: 100 }, (_, i) => `org.example.sensor.reading.${String(i).padStart(3, '0')}`) } } };
    const body = Buffer.from(JSON.stringify(filter));
    expect(body.length).toBeGreaterThan(3000);
    const created = await libcoapTls({ method: 'post', uri: `${base()}/5/${encodeURIComponent(userId)}`, payload: body, contentFormat: 50, accept: 50, blockSize: 1024, ...psk(credentials) });
    expect(created.stderr).not.toMatch(/4\.\d\d|5\.\d\d/);
    const filterId = (JSON.parse(created.payload.toString()) as { filter_id: string }).filter_id;
    const read = await libcoapTls({ uri: `${base()}/6/${encodeURIComponent(userId)}/${filterId}`, accept: 50, blockSize: 256, ...psk(credentials) });
    expect(JSON.parse(read.payload.toString())).toEqual(filter);
  });

  it('a wrong key gets no TLS session, hence no answer', async () => {
    const credentials = server.addSensor(userId, 'libcoap wrong key');
    const result = await libcoapTls({ uri: `${base()}/_matrix/client/v3/account/whoami`, accept: 50, identity: psk(credentials).identity, key: 'not-the-key' });
    expect(result.payload.length).toBe(0);
  });

  it('a deleted device can no longer connect', async () => {
    const credentials = server.addSensor(userId, 'libcoap doomed');
    const ok = await libcoapTls({ uri: `${base()}/_matrix/client/v3/account/whoami`, accept: 50, ...psk(credentials) });
    expect(ok.payload.length).toBeGreaterThan(0);
    server.homeserver.services.devices.delete(userId, [credentials.deviceId]);
    const refused = await libcoapTls({ uri: `${base()}/_matrix/client/v3/account/whoami`, accept: 50, ...psk(credentials) });
    expect(refused.payload.length).toBe(0);
  });
});

describe('the README flow with libcoap as the sensor', () => {
  it('posts a reading into the bound room and picks up a command from /sync', async () => {
    const login = await fetch(`${server.httpBase}/_matrix/client/v3/login`, {
      method: 'POST',
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'tinkerer' }, password: 'pw-tinkerer-1' }),
    });
    const auth = { authorization: `Bearer ${((await login.json()) as { access_token: string }).access_token}` };
    const created = await fetch(`${server.httpBase}/_matrix/client/v3/createRoom`, { method: 'POST', headers: auth, body: '{}' });
    const roomId = ((await created.json()) as { room_id: string }).room_id;
    const credentials = server.addSensor(userId, 'libcoap greenhouse', roomId);

    const posted = await libcoapTls({
      method: 'put',
      uri: `${base()}/9/!/m.room.message/1700000001`,
      payload: Buffer.from('{"msgtype":"m.text","body":"21.5 °C"}'),
      contentFormat: 50,
      accept: 50,
      ...psk(credentials),
    });
    expect(posted.payload.length, posted.stderr).toBeGreaterThan(0);
    expect((JSON.parse(posted.payload.toString()) as { event_id: string }).event_id).toMatch(/^\$/);

    await fetch(`${server.httpBase}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/cmd1`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ msgtype: 'm.text', body: 'interval 60' }),
    });
    const synced = await libcoapTls({ uri: `${base()}/7?timeout=1000`, accept: 50, ...psk(credentials) });
    expect(synced.payload.length, synced.stderr).toBeGreaterThan(0);
    const timeline = (JSON.parse(synced.payload.toString()) as { rooms: { join: Record<string, { timeline: { events: { content: { body?: string } }[] } }> } }).rooms.join[roomId]!.timeline.events;
    expect(timeline.map((e) => e.content.body)).toEqual(['21.5 °C', 'interval 60']);
  });
});

describe('the README commands, against a recording dispatcher', () => {
  it('PUT /9/!/m.room.message/<txn> posts into the room of the credentials, as the sensor device', async () => {
    const seen: { path: string; body: unknown; user: string | undefined; token: string | undefined }[] = [];
    const recipient = {
      key: 'test',
      roomId: '!room:example.org',
      context: createSecurityContext({ masterSecret: Buffer.alloc(16, 1), masterSalt: Buffer.alloc(0), idContext: undefined, senderId: Buffer.alloc(0), recipientId: Buffer.of(1) }),
      isFresh: () => true,
      accept: () => {},
      nextSenderSequence: () => 0,
      requester: () => ({ userId: '@owner:example.org', deviceId: 'SENSOR', accessTokenId: 1, isAdmin: false }),
    };
    const tls = await startCoapTlsServer({
      host: '127.0.0.1',
      port: 0,
      psk: { resolvePsk: (identity: string) => (identity === 'sensor' ? { key: Buffer.from('the-key'), recipient } : undefined) },
      dispatch: async (request) => {
        seen.push({ path: request.path, body: request.body, user: request.authenticated?.userId, token: request.accessToken });
        return { status: 200, body: { event_id: '$e' } };
      },
    });
    try {
      const result = await libcoapTls({
        method: 'put',
        uri: `coaps+tcp://127.0.0.1:${tls.address.port}/9/!/m.room.message/1700000000`,
        payload: Buffer.from('{"msgtype":"m.text","body":"21.5 °C"}'),
        contentFormat: 50,
        accept: 50,
        identity: 'sensor',
        key: 'the-key',
      });
      expect(JSON.parse(result.payload.toString())).toEqual({ event_id: '$e' });
      expect(seen).toEqual([
        {
          path: `/_matrix/client/v3/rooms/${encodeURIComponent('!room:example.org')}/send/m.room.message/1700000000`,
          body: { msgtype: 'm.text', body: '21.5 °C' },
          user: '@owner:example.org',
          token: undefined,
        },
      ]);
    } finally {
      await tls.close();
    }
  });
});

describe('RFC 8323 signaling with a node TLS-PSK client', () => {
  it('CSM first, Ping → Pong, then requests by token; a request after the device is deleted → 4.01 and hang-up', async () => {
    const credentials = server.addSensor(userId, 'node tls');
    const { identity, key } = psk(credentials);
    const socket = connect({ host: '127.0.0.1', port: tlsPort, ciphers: 'PSK-AES128-CCM8', maxVersion: 'TLSv1.2', checkServerIdentity: () => undefined, pskCallback: () => ({ identity, psk: Buffer.from(key) }) });
    const inbox: TcpMessage[] = [];
    let buffered = Buffer.alloc(0);
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (let f = decodeTcpFrame(buffered, 1 << 20); f.kind === 'message'; f = decodeTcpFrame(buffered, 1 << 20)) {
        inbox.push(f.message);
        buffered = buffered.subarray(f.consumed);
      }
    });
    const next = async (): Promise<TcpMessage> => {
      for (let i = 0; i < 200 && inbox.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const message = inbox.shift();
      if (message === undefined) throw new Error('nothing received');
      return message;
    };
    try {
      expect((await next()).code).toBe('7.01');
      socket.write(encodeTcpMessage({ code: '7.01', token: Buffer.alloc(0), options: [], payload: Buffer.alloc(0) }));
      socket.write(encodeTcpMessage({ code: '7.02', token: Buffer.of(0x70), options: [], payload: Buffer.alloc(0) }));
      const pong = await next();
      expect([pong.code, pong.token.toString('hex')]).toEqual(['7.03', '70']);
      const whoami = ['_matrix', 'client', 'v3', 'account', 'whoami'].map((p) => ({ number: 11, value: Buffer.from(p) }));
      socket.write(encodeTcpMessage({ code: '0.01', token: Buffer.of(1, 2), options: [...whoami, { number: 17, value: Buffer.of(50) }], payload: Buffer.alloc(0) }));
      const answer = await next();
      expect(answer.token.toString('hex')).toBe('0102');
      expect(JSON.parse(answer.payload.toString())).toMatchObject({ device_id: credentials.deviceId });

      server.homeserver.services.devices.delete(userId, [credentials.deviceId]);
      socket.write(encodeTcpMessage({ code: '0.01', token: Buffer.of(3), options: whoami, payload: Buffer.alloc(0) }));
      const refused = await next();
      expect([refused.code, refused.payload.toString()]).toEqual(['4.01', 'Security context not found']);
      for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
      expect(closed).toBe(true);
    } finally {
      socket.destroy();
    }
  });
});
