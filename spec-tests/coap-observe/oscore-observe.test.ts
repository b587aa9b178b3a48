// Observe under OSCORE (RFC 8613 §4.1.3.5): a sensor registers on /7 with a protected request
// (outer FETCH + Observe, inner GET + Observe); the registration's answer reuses the request's
// nonce, and every notification is protected with the server's own Sender Sequence Number as
// Partial IV (never a nonce twice), bound to the registration request. Deleting the sensor's
// device ends the observation with a protected final 4.01.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OSCORE_OPTION } from '../../src/core/oscore/option-classes.js';
import { decodeOscoreOption } from '../../src/core/oscore/option-value.js';
import { protectRequest, unprotectResponse, type RequestBinding } from '../../src/core/oscore/protect.js';
import { createSecurityContext, type SecurityContext } from '../../src/core/oscore/security-context.js';
import type { SensorCredentials } from '../../src/services/oscore/credentials.js';
import { decodeCborBody } from '../../src/transport/coap/cbor-body.js';
import { decodeUint, encodeUint, Opt, optionValue } from '../../src/transport/coap/options.js';
import { CS, type Session } from '../support/client.js';
import { messageBodies, Observer, type Received } from './support/observer.js';
import { startObserveServer, type ObserveServer } from './support/observe-server.js';

let server: ObserveServer;
let owner: Session;
let bob: Session;
let roomId: string;

beforeAll(async () => {
  server = await startObserveServer();
  owner = await server.register('owner');
  bob = await server.register('bob');
  roomId = await server.createRoom(bob, [owner]);
});

afterAll(async () => {
  await server.stop();
});

function contextOf(c: SensorCredentials): SecurityContext {
  return createSecurityContext({ masterSecret: c.masterSecret, masterSalt: c.masterSalt, idContext: undefined, senderId: c.senderId, recipientId: c.recipientId });
}

interface Opened {
  readonly code: string;
  readonly payload: Buffer;
  readonly partialIv: Buffer | undefined;
  readonly outerObserve: number | undefined;
}

function open(context: SecurityContext, binding: RequestBinding, r: Received): Opened {
  const raw = optionValue(r.message.options, OSCORE_OPTION);
  expect(raw).toBeDefined();
  const header = decodeOscoreOption(raw!)!;
  const inner = unprotectResponse(context, binding, header, r.message);
  if (inner === undefined) throw new Error('notification did not verify');
  const observe = optionValue(r.message.options, Opt.Observe);
  return {
    code: inner.code,
    payload: inner.payload,
    partialIv: header.partialIv,
    outerObserve: observe === undefined ? undefined : decodeUint(observe, 3),
  };
}

describe('Observe under OSCORE', () => {
  it('notifications carry their own Partial IV, verify against the registration, and end with a protected 4.01 on device deletion', async () => {
    const credentials = server.homeserver.services.sensors.add({ userId: owner.userId, deviceName: 'observing probe', roomId, coap: { host: '127.0.0.1', port: server.coapPort } });
    const context = contextOf(credentials);
    const since = (await server.http.get(`${CS}/sync`, { token: owner.accessToken, query: { timeout: '0' } })).body.next_batch as string;
    const observer = await Observer.open(server.coapPort);
    try {
      const token = Buffer.of(0x5e);
      const { message, binding } = protectRequest(context, 0, {
        code: '0.01',
        options: [
          { number: Opt.Observe, value: encodeUint(0) },
          { number: Opt.UriPath, value: Buffer.from('7') },
          { number: Opt.UriQuery, value: Buffer.from(`since=${since}`) },
        ],
        payload: Buffer.alloc(0),
      });
      expect(message.code).toBe('0.05'); // FETCH outside when Observe is present (§4.2)
      const before = server.observers();
      const reply = await observer.request(token, message.options, 3_000, message.code, message.payload);
      const initial = open(context, binding, reply);
      expect(initial.code).toBe('2.05');
      expect(initial.partialIv).toBeUndefined(); // the first answer reuses the request's nonce
      expect(initial.outerObserve).toBeTypeOf('number');
      expect(server.observers()).toBe(before + 1);

      const partialIvs: string[] = [];
      let lastObserve = initial.outerObserve!;
      for (const text of ['turn on', 'turn off']) {
        await server.send(bob, roomId, text);
        const n = await observer.notification(token);
        expect(n.message.code).toBe('2.05'); // outer code of a protected Observe response
        expect(optionValue(n.message.options, Opt.ContentFormat)).toBeUndefined(); // inner, encrypted
        const opened = open(context, binding, n);
        expect(opened.code).toBe('2.05');
        expect(opened.partialIv).toBeDefined();
        expect(opened.outerObserve).toBeGreaterThan(lastObserve);
        lastObserve = opened.outerObserve!;
        partialIvs.push(opened.partialIv!.toString('hex'));
        expect(messageBodies(decodeCborBody(opened.payload).value as Record<string, unknown>)).toEqual([text]);
      }
      expect(new Set(partialIvs).size).toBe(partialIvs.length);

      // The sensor's device is deleted: the registration ends with a protected 4.01 without Observe.
      server.homeserver.services.devices.delete(owner.userId, [credentials.deviceId]);
      const last = await observer.notification(token);
      const final = open(context, binding, last);
      expect(final.code).toBe('4.01');
      expect(final.outerObserve).toBeUndefined();
      expect(final.partialIv).toBeDefined();
      expect(partialIvs).not.toContain(final.partialIv!.toString('hex'));
      await waitFor(() => server.observers() === before);
    } finally {
      observer.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
