// Loss and duplication: 100 requests through a relay that drops and duplicates datagrams
// (deterministic seed) reach the real homeserver's dispatcher exactly once each, and every one
// gets its answer. Retransmissions are byte-identical, so the server's message-ID deduplication
// answers them from its cache; under OSCORE that is also what keeps a retransmission from
// being refused as a replay.
//
// Counted twice: at the dispatcher (how often each request was executed) and in the room (each
// of 100 messages sent with its own transaction ID is there exactly once). Filter uploads (a
// write whose result the client sees) exercise plain CoAP the same way.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingRequest } from '../../src/api/dispatch.js';
import { SensorClient } from '../../src/transport/coap/client/sensor-client.js';
import { startCoapServer, type CoapServer } from '../../src/transport/coap/server.js';
import { LossyRelay } from './support/lossy-relay.js';
import { startSensorServer, type SensorServer } from './support/sensor-server.js';

let server: SensorServer;
let coap: CoapServer;
let userId: string;
const executions = new Map<string, number>();

beforeAll(async () => {
  server = await startSensorServer();
  userId = await server.register('lossy');
  // A second CoAP listener on the same homeserver whose dispatcher counts executions per body.
  const dispatch = server.homeserver.dispatch;
  coap = await startCoapServer({
    host: '127.0.0.1',
    port: 0,
    dispatch: async (request: IncomingRequest) => {
      if ((request.method === 'POST' || request.method === 'PUT') && request.body !== undefined && !(request.body instanceof Uint8Array)) {
        const key = JSON.stringify(request.body);
        executions.set(key, (executions.get(key) ?? 0) + 1);
      }
      return dispatch(request);
    },
    oscore: server.homeserver.services.sensors.oscore,
    timing: { ackTimeoutMs: 50, ackRandomFactor: 1.5, maxRetransmit: 8, exchangeLifetimeMs: 60_000 },
    log: pino({ level: 'silent' }),
  });
});
afterAll(async () => {
  await coap.close();
  await server.stop();
});

const CLIENT_TIMING = { ackTimeoutMs: 15, ackRandomFactor: 1.5, maxRetransmit: 8 };

async function hundredWrites(sensor: SensorClient, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 100; i++) {
    const reply = await sensor.request({ method: 'POST', path: ['5', userId], body: { room: { timeline: { types: [`${label}.${i}`] } } } });
    expect(reply.code, `request ${i}: ${reply.text}`).toBe('2.05');
    ids.push((reply.json() as { filter_id: string }).filter_id);
  }
  return ids;
}

function expectExactlyOnce(label: string): void {
  for (let i = 0; i < 100; i++) {
    const key = JSON.stringify({ room: { timeline: { types: [`${label}.${i}`] } } });
    expect(executions.get(key), `${label}.${i}`).toBe(1);
  }
}

describe('a lossy, duplicating link', () => {
  it('OSCORE: 100 messages into a room, each executed once and in the room once', async () => {
    const relay = await LossyRelay.start({ serverPort: coap.address.port, seed: 3079, drop: 0.25, duplicate: 0.25, maxConsecutiveDrops: 3, duplicateDelayMs: 40 });
    const login = await fetch(`${server.httpBase}/_matrix/client/v3/login`, {
      method: 'POST',
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'lossy' }, password: 'pw-lossy-1' }),
    });
    const accessToken = ((await login.json()) as { access_token: string }).access_token;
    const auth = { authorization: `Bearer ${accessToken}` };
    const created = await fetch(`${server.httpBase}/_matrix/client/v3/createRoom`, { method: 'POST', headers: auth, body: '{}' });
    const roomId = ((await created.json()) as { room_id: string }).room_id;
    const credentials = server.addSensor(userId, 'lossy reporter', roomId);
    const sensor = SensorClient.fromCredentials({ ...credentials, coap: { host: '127.0.0.1', port: relay.port } }, { timing: CLIENT_TIMING, tokenLength: 1 });
    try {
      for (let i = 0; i < 100; i++) {
        const reply = await sensor.request({ method: 'PUT', path: ['9', '!', 'm.room.message', `r${i}`], body: { msgtype: 'm.text', body: `reading ${i}` } });
        expect(reply.code, `reading ${i}: ${reply.text}`).toBe('2.05');
      }
      for (let i = 0; i < 100; i++) expect(executions.get(JSON.stringify({ msgtype: 'm.text', body: `reading ${i}` })), `reading ${i}`).toBe(1);
      const messages = await fetch(`${server.httpBase}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=500`, { headers: auth });
      const bodies = ((await messages.json()) as { chunk: { type: string; content: { body?: string } }[] }).chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
      expect(bodies).toHaveLength(100);
      expect(new Set(bodies).size).toBe(100);
      expect(relay.stats.dropped).toBeGreaterThan(20);
      expect(relay.stats.duplicated).toBeGreaterThan(20);
    } finally {
      sensor.close();
      relay.close();
    }
  }, 60_000);

  it('plain CoAP with the token in option 256: the same guarantees', async () => {
    const relay = await LossyRelay.start({ serverPort: coap.address.port, seed: 7252, drop: 0.25, duplicate: 0.25, maxConsecutiveDrops: 3, duplicateDelayMs: 40 });
    const login = await fetch(`${server.httpBase}/_matrix/client/v3/login`, {
      method: 'POST',
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'lossy' }, password: 'pw-lossy-1' }),
    });
    const accessToken = ((await login.json()) as { access_token: string }).access_token;
    const sensor = new SensorClient({ host: '127.0.0.1', port: relay.port, accessToken, timing: CLIENT_TIMING, tokenLength: 1 });
    try {
      const ids = await hundredWrites(sensor, 'plain');
      expect(new Set(ids).size).toBe(100);
      expectExactlyOnce('plain');
      expect(relay.stats.dropped).toBeGreaterThan(20);
    } finally {
      sensor.close();
      relay.close();
    }
  }, 60_000);
});
