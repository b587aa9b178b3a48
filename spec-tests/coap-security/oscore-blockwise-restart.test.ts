// Block-wise transfers inside OSCORE (inner Block1/Block2: every block its own protected
// exchange), and the durability of the context's mutable state across a restart: the replay
// window (a request executed before the restart is refused after it) and our own sequence
// numbers (reserved in blocks, never handed out twice).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protectRequest } from '../../src/core/oscore/protect.js';
import { createSecurityContext } from '../../src/core/oscore/security-context.js';
import { SEQUENCE_BLOCK } from '../../src/services/oscore/context-store.js';
import type { SensorCredentials } from '../../src/services/oscore/credentials.js';
import { SensorClient } from '../../src/transport/coap/client/sensor-client.js';
import { decodeMessage, encodeMessage } from '../../src/transport/coap/message.js';
import { RawPeer } from '../coap/support/raw-client.js';
import { startSensorServer, type SensorServer } from './support/sensor-server.js';

const FAST = { ackTimeoutMs: 300, ackRandomFactor: 1.5, maxRetransmit: 4 };

describe('Block-wise over OSCORE', () => {
  let server: SensorServer;
  let userId: string;
  beforeAll(async () => {
    server = await startSensorServer();
    userId = await server.register('uploader');
  });
  afterAll(async () => {
    await server.stop();
  });

  // A ~3 KB filter: Block1 to upload it, Block2 to read it back.
  const filter = { room: { timeline: { types: Array.from({ length: 100 }, (_, i) => `org.example.sensor.reading.${String(i).padStart(3, '0')}`) } } };

  for (const szx of [6, 2]) {
    it(`uploads and downloads 3 KB in ${2 ** (szx + 4)}-byte blocks, each block protected`, async () => {
      const credentials = server.addSensor(userId, `blocks-${szx}`);
      let datagramsOut = 0;
      let largest = 0;
      const sensor = SensorClient.fromCredentials(credentials, {
        timing: FAST,
        szx,
        onDatagram: (direction, d) => {
          if (direction === 'out') datagramsOut++;
          largest = Math.max(largest, d.length);
        },
      });
      try {
        const created = await sensor.request({ method: 'POST', path: ['5', userId], body: filter });
        expect(created.code).toBe('2.05');
        const filterId = (created.json() as { filter_id: string }).filter_id;
        const read = await sensor.request({ method: 'GET', path: ['6', userId, filterId] });
        expect(read.code).toBe('2.05');
        expect(read.json()).toEqual(filter);
        const blocks = Math.ceil(JSON.stringify(filter).length / 2 ** (szx + 4));
        expect(datagramsOut).toBeGreaterThanOrEqual(2);
        if (szx === 2) expect(datagramsOut).toBeGreaterThan(blocks); // many blocks each way
        expect(sensor.nextSequenceNumber).toBe(datagramsOut); // one sequence number per block
        expect(largest).toBeLessThanOrEqual(1152);
      } finally {
        sensor.close();
      }
    });
  }
});

describe('restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lattice-oscore-restart-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  function whoami(c: SensorCredentials, sequenceNumber: number, messageId: number): Buffer {
    const context = createSecurityContext({ masterSecret: c.masterSecret, masterSalt: c.masterSalt, idContext: undefined, senderId: c.senderId, recipientId: c.recipientId });
    const { message } = protectRequest(context, sequenceNumber, {
      code: '0.01',
      options: ['_matrix', 'client', 'v3', 'account', 'whoami'].map((s) => ({ number: 11, value: Buffer.from(s) })),
      payload: Buffer.alloc(0),
    });
    return encodeMessage({ type: 'CON', messageId, token: Buffer.of(7), ...message });
  }
  async function exchange(port: number, datagram: Buffer): Promise<{ code: string; text: string }> {
    const peer = await RawPeer.open('127.0.0.1', port);
    try {
      peer.send(datagram);
      const decoded = decodeMessage((await peer.next()).raw);
      if (!decoded.ok) throw new Error('bad reply');
      return { code: decoded.message.code, text: decoded.message.payload.toString() };
    } finally {
      peer.close();
    }
  }

  it('keeps the replay window and never reuses our sequence numbers', async () => {
    const first = await startSensorServer({ dataDir });
    const userId = await first.register('restarter');
    const credentials = first.addSensor(userId, 'survivor');
    let usedBefore: number[];
    try {
      for (const seq of [0, 1, 2, 7]) expect((await exchange(first.coapPort, whoami(credentials, seq, 100 + seq))).code).toBe('2.04');
      const session = first.homeserver.services.sensors.oscore.find(credentials.senderId, undefined)!;
      usedBefore = [session.nextSenderSequence(), session.nextSenderSequence(), session.nextSenderSequence()];
      expect(usedBefore).toEqual([0, 1, 2]);
    } finally {
      await first.stop();
    }

    const second = await startSensorServer({ dataDir });
    try {
      // Executed before the restart: refused after it, whatever the message ID.
      for (const seq of [0, 2, 7]) {
        const replay = await exchange(second.coapPort, whoami(credentials, seq, 200 + seq));
        expect(replay).toEqual({ code: '4.01', text: 'Replay detected' });
      }
      // Never seen, inside the window: fine; and so is anything newer.
      expect((await exchange(second.coapPort, whoami(credentials, 5, 300))).code).toBe('2.04');
      expect((await exchange(second.coapPort, whoami(credentials, 8, 301))).code).toBe('2.04');

      const session = second.homeserver.services.sensors.oscore.find(credentials.senderId, undefined)!;
      const after = session.nextSenderSequence();
      expect(after).toBeGreaterThan(Math.max(...usedBefore));
      expect(after).toBe(SEQUENCE_BLOCK); // the whole reserved block is skipped, as after a crash
      // Using a whole block reserves the next one before crossing it.
      for (let i = 1; i < SEQUENCE_BLOCK; i++) session.nextSenderSequence();
      expect(session.nextSenderSequence()).toBe(2 * SEQUENCE_BLOCK);
    } finally {
      await second.stop();
    }
    const third = await startSensorServer({ dataDir });
    try {
      const session = third.homeserver.services.sensors.oscore.find(credentials.senderId, undefined)!;
      expect(session.nextSenderSequence()).toBe(3 * SEQUENCE_BLOCK);
    } finally {
      await third.stop();
    }
  });
});
