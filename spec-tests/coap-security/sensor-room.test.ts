// The sensor-owner story end to end on the real homeserver: the owner creates a room and issues
// a sensor bound to it; the sensor posts readings over OSCORE (with the `!` room shorthand and
// No-Response), the owner sees them; the owner sends a command, the sensor's filter-less /sync
// over OSCORE (the lean filter) brings it — in one datagram.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { SensorClient } from '../../src/transport/coap/client/sensor-client.js';
import { startSensorServer, type SensorServer } from './support/sensor-server.js';

const FAST = { ackTimeoutMs: 300, ackRandomFactor: 1.5, maxRetransmit: 4 };

let server: SensorServer;
let token: string;
let roomId: string;

async function http(method: string, path: string, body?: JsonObject): Promise<{ status: number; body: JsonObject }> {
  const res = await fetch(`${server.httpBase}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}` },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as JsonObject };
}

beforeAll(async () => {
  server = await startSensorServer();
  await server.register('grower');
  const login = await fetch(`${server.httpBase}/_matrix/client/v3/login`, {
    method: 'POST',
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'grower' }, password: 'pw-grower-1' }),
  });
  token = ((await login.json()) as { access_token: string }).access_token;
  const created = await http('POST', '/_matrix/client/v3/createRoom', { name: 'Greenhouse' });
  expect(created.status).toBe(200);
  roomId = created.body['room_id'] as string;
});
afterAll(async () => {
  await server.stop();
});

describe('a sensor in a room', () => {
  it('posts readings and receives commands, all over OSCORE', async () => {
    const credentials = server.addSensor('@grower:localhost', 'greenhouse probe', roomId);
    let largestReply = 0;
    const sensor = SensorClient.fromCredentials(credentials, { timing: FAST, integerKeys: true, onDatagram: (d, b) => d === 'in' && (largestReply = Math.max(largestReply, b.length)) });
    try {
      // A reading with its event ID back, and one with No-Response (just the empty ACK).
      const full = await sensor.request({ method: 'PUT', path: ['9', '!', 'm.room.message', 't1'], body: { msgtype: 'm.text', body: '21.5 °C' } });
      expect(full.code).toBe('2.05');
      expect((full.json() as { event_id: string }).event_id).toMatch(/^\$/);
      const quiet = await sensor.request({ method: 'PUT', path: ['9', '!', 'm.room.message', 't2'], body: { msgtype: 'm.text', body: '21.7 °C' }, noResponse: 2 });
      expect(quiet.code).toBe('0.00');

      const messages = await http('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=10`);
      const bodies = (messages.body['chunk'] as { type: string; content: { body?: string } }[]).filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
      expect(bodies).toEqual(['21.7 °C', '21.5 °C']);

      // The sensor's first sync (lean filter), then the owner's command, then the sensor's next sync.
      const first = await sensor.request({ method: 'GET', path: ['7'] });
      expect(first.code).toBe('2.05');
      const since = (first.json() as { next_batch: string }).next_batch;
      const command = await http('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/org.lattice.sensor.command/c1`, { action: 'set-interval', seconds: 60 });
      expect(command.status).toBe(200);
      largestReply = 0;
      const next = await sensor.request({ method: 'GET', path: ['7'], query: [`since=${since}`, 'timeout=5000'] });
      expect(next.code).toBe('2.05');
      const timeline = ((next.json() as { rooms: { join: Record<string, { timeline: { events: JsonObject[] } }> } }).rooms.join[roomId]!.timeline.events);
      expect(timeline).toContainEqual(expect.objectContaining({ type: 'org.lattice.sensor.command', content: { action: 'set-interval', seconds: 60 } }));
      // Trimmed by the lean filter, and the whole answer in one datagram (no Block2).
      expect(Object.keys(timeline[timeline.length - 1]!).sort()).toEqual(['content', 'sender', 'type']);
      expect(next.options.some((o) => o.number === 23)).toBe(false);
      expect(largestReply).toBeLessThanOrEqual(1152);
      console.log(`incremental lean /sync over OSCORE: ${largestReply} bytes`);
    } finally {
      sensor.close();
    }
  });
});
