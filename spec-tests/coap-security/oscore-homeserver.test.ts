// OSCORE against the real homeserver: a sensor device created by the sensor service talks to the
// CoAP listener with our client; no access token is ever sent. Replays, tampering, unknown kids
// and revoked devices are refused with 4.01 and the RFC 8613 §8.2 diagnostics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecurityContext } from '../../src/core/oscore/security-context.js';
import { protectRequest } from '../../src/core/oscore/protect.js';
import { SensorClient } from '../../src/transport/coap/client/sensor-client.js';
import { encodeMessage, decodeMessage } from '../../src/transport/coap/message.js';
import type { SensorCredentials } from '../../src/services/oscore/credentials.js';
import { RawPeer } from '../coap/support/raw-client.js';
import { startSensorServer, type SensorServer } from './support/sensor-server.js';

const FAST = { ackTimeoutMs: 300, ackRandomFactor: 1.5, maxRetransmit: 4 };

let server: SensorServer;
let userId: string;

beforeAll(async () => {
  server = await startSensorServer();
  userId = await server.register('owner');
});
afterAll(async () => {
  await server.stop();
});

function contextOf(c: SensorCredentials) {
  return createSecurityContext({ masterSecret: c.masterSecret, masterSalt: c.masterSalt, idContext: undefined, senderId: c.senderId, recipientId: c.recipientId });
}

/** One protected request as raw bytes (so a test can replay or tamper with it). */
function protectedWhoami(c: SensorCredentials, sequenceNumber: number, messageId: number): Buffer {
  const { message } = protectRequest(contextOf(c), sequenceNumber, {
    code: '0.01',
    options: ['_matrix', 'client', 'v3', 'account', 'whoami'].map((s) => ({ number: 11, value: Buffer.from(s) })),
    payload: Buffer.alloc(0),
  });
  return encodeMessage({ type: 'CON', messageId, token: Buffer.of(1), ...message });
}

async function rawExchange(datagram: Buffer): Promise<{ code: string; payload: Buffer; options: readonly { number: number; value: Buffer }[] }> {
  const peer = await RawPeer.open('127.0.0.1', server.coapPort);
  try {
    peer.send(datagram);
    const reply = await peer.next();
    const decoded = decodeMessage(reply.raw);
    if (!decoded.ok) throw new Error('bad reply');
    return decoded.message;
  } finally {
    peer.close();
  }
}

describe('OSCORE request/response with the real homeserver', () => {
  it('whoami over OSCORE names the sensor device, without any access token', async () => {
    const credentials = server.addSensor(userId, 'thermometer');
    const sent: Buffer[] = [];
    const sensor = SensorClient.fromCredentials(credentials, { timing: FAST, onDatagram: (direction, d) => direction === 'out' && sent.push(d) });
    try {
      const reply = await sensor.request({ method: 'GET', path: ['_matrix', 'client', 'v3', 'account', 'whoami'] });
      expect(reply.protected).toBe(true);
      expect(reply.code).toBe('2.05');
      expect(reply.json()).toMatchObject({ user_id: userId, device_id: credentials.deviceId });
    } finally {
      sensor.close();
    }
    // Nothing readable on the wire: no token option, no path.
    expect(sent.some((d) => d.includes(Buffer.from('whoami')) || d.includes(Buffer.from('lat_')))).toBe(false);
  });

  it('the outer message shows only POST/2.04, the OSCORE option and ciphertext', async () => {
    const credentials = server.addSensor(userId, 'observer');
    const request = protectedWhoami(credentials, 0, 0x1234);
    expect(request.includes(Buffer.from('whoami'))).toBe(false);
    const reply = await rawExchange(request);
    expect(reply.code).toBe('2.04');
    expect(reply.options.map((o) => o.number)).toEqual([9]);
    expect(reply.options[0]!.value.length).toBe(0); // the request's nonce is reused: empty option
    expect(reply.payload.includes(Buffer.from(userId))).toBe(false);
  });

  it('a replayed request (new message ID, same sequence number) → 4.01 "Replay detected"', async () => {
    const credentials = server.addSensor(userId, 'replayed');
    const first = await rawExchange(protectedWhoami(credentials, 5, 0x2000));
    expect(first.code).toBe('2.04');
    const replay = await rawExchange(protectedWhoami(credentials, 5, 0x2001));
    expect(replay.code).toBe('4.01');
    expect(replay.payload.toString()).toBe('Replay detected');
    // Older than the 32-wide window is refused too; a fresh number still works.
    const fresh = await rawExchange(protectedWhoami(credentials, 40, 0x2002));
    expect(fresh.code).toBe('2.04');
    const tooOld = await rawExchange(protectedWhoami(credentials, 6, 0x2003));
    expect(tooOld.payload.toString()).toBe('Replay detected');
    const inWindow = await rawExchange(protectedWhoami(credentials, 39, 0x2004));
    expect(inWindow.code).toBe('2.04');
  });

  it('a retransmission (same message ID) gets the same protected reply, not "Replay detected"', async () => {
    const credentials = server.addSensor(userId, 'retransmitting');
    const datagram = protectedWhoami(credentials, 0, 0x3000);
    const peer = await RawPeer.open('127.0.0.1', server.coapPort);
    try {
      peer.send(datagram);
      const first = await peer.next();
      peer.send(datagram);
      const second = await peer.next();
      expect(second.raw.equals(first.raw)).toBe(true);
    } finally {
      peer.close();
    }
  });

  it('tampered ciphertext → 4.01 "Decryption failed", and the sequence number is not spent', async () => {
    const credentials = server.addSensor(userId, 'tampered');
    const good = protectedWhoami(credentials, 0, 0x4000);
    const bad = Buffer.from(good);
    bad[bad.length - 3] = bad[bad.length - 3]! ^ 0x40;
    const refused = await rawExchange(bad);
    expect(refused.code).toBe('4.01');
    expect(refused.payload.toString()).toBe('Decryption failed');
    const genuine = await rawExchange(protectedWhoami(credentials, 0, 0x4001));
    expect(genuine.code).toBe('2.04');
  });

  it('an unknown kid → 4.01 "Security context not found"; a malformed option → 4.02 "Failed to decode COSE"', async () => {
    const credentials = server.addSensor(userId, 'impostor');
    const unknown = { ...credentials, senderId: Buffer.from('ffffffffffffff', 'hex') };
    const refused = await rawExchange(protectedWhoami(unknown, 0, 0x5000));
    expect(refused.code).toBe('4.01');
    expect(refused.payload.toString()).toBe('Security context not found');

    const datagram = protectedWhoami(credentials, 0, 0x5001);
    const decoded = decodeMessage(datagram);
    if (!decoded.ok) throw new Error('unreachable');
    const broken = encodeMessage({ ...decoded.message, options: decoded.message.options.map((o) => (o.number === 9 ? { number: 9, value: Buffer.of(0xe0) } : o)) });
    const bad = await rawExchange(broken);
    expect(bad.code).toBe('4.02');
    expect(bad.payload.toString()).toBe('Failed to decode COSE');
  });

  it('deleting the device refuses its context at once (4.01), and the sensor cannot act any more', async () => {
    const credentials = server.addSensor(userId, 'doomed');
    const sensor = SensorClient.fromCredentials(credentials, { timing: FAST });
    try {
      expect((await sensor.request({ method: 'GET', path: ['_matrix', 'client', 'v3', 'account', 'whoami'] })).code).toBe('2.05');
      server.homeserver.services.devices.delete(userId, [credentials.deviceId]);
      const after = await sensor.request({ method: 'GET', path: ['_matrix', 'client', 'v3', 'account', 'whoami'] });
      expect(after.code).toBe('4.01');
      expect(after.protected).toBe(false);
      expect(after.text).toBe('Security context not found');
    } finally {
      sensor.close();
    }
  });

  it('logging out over OSCORE deletes the device and with it the context', async () => {
    const credentials = server.addSensor(userId, 'leaving');
    const sensor = SensorClient.fromCredentials(credentials, { timing: FAST });
    try {
      expect((await sensor.request({ method: 'POST', path: ['3'], body: {} })).code).toBe('2.05');
      const after = await sensor.request({ method: 'GET', path: ['_matrix', 'client', 'v3', 'account', 'whoami'] });
      expect(after.code).toBe('4.01');
      expect(server.homeserver.services.devices.list(userId).some((d) => d.deviceId === credentials.deviceId)).toBe(false);
    } finally {
      sensor.close();
    }
  });

  it('an access token inside an OSCORE request is ignored: the context decides who is asking', async () => {
    const a = server.addSensor(userId, 'sensor-a');
    const other = await server.register('someone-else');
    const login = await fetch(`${server.httpBase}/_matrix/client/v3/login`, {
      method: 'POST',
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'someone-else' }, password: 'pw-someone-else-1' }),
    });
    const token = ((await login.json()) as { access_token: string }).access_token;
    const sensor = SensorClient.fromCredentials(a, { timing: FAST });
    try {
      const reply = await sensor.request({ method: 'GET', path: ['_matrix', 'client', 'v3', 'account', 'whoami'], options: [{ number: 256, value: Buffer.from(token) }] });
      expect(reply.json()).toMatchObject({ user_id: userId, device_id: a.deviceId });
      expect(other).not.toBe(userId);
    } finally {
      sensor.close();
    }
  });
});
