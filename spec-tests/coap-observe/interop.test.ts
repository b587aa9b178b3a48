// Observe on /sync with two independent CoAP clients: node `coap` (observe: true gives a stream)
// and libcoap's coap-client-notls -s (subscribe), unmodified, against the real homeserver. Each
// new message arrives once and in order, a large one block-wise (the clients fetch the rest
// themselves), and each client's way of ending the observation removes the registration.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, type IncomingMessage, type ObserveReadStream } from 'coap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCborBody } from '../../src/transport/coap/cbor-body.js';
import { CS, type Session } from '../support/client.js';
import { LIBCOAP_CLIENT } from '../coap/support/libcoap.js';
import { newAgent } from '../coap/support/node-coap-client.js';
import { messageBodies } from './support/observer.js';
import { startObserveServer, type ObserveServer } from './support/observe-server.js';

let server: ObserveServer;
let bob: Session;

beforeAll(async () => {
  server = await startObserveServer();
  bob = await server.register('bob');
});

afterAll(async () => {
  await server.stop();
});

async function observingUser(name: string): Promise<{ me: Session; roomId: string; since: string }> {
  const me = await server.register(name);
  const roomId = await server.createRoom(bob, [me]);
  const since = (await server.http.get(`${CS}/sync`, { token: me.accessToken, query: { timeout: '0' } })).body.next_batch as string;
  return { me, roomId, since };
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A node-coap observation of /7: the stream and the sync bodies it has delivered so far. */
async function nodeCoapObserve(me: Session, since: string) {
  const client = newAgent();
  const req = request({ hostname: '127.0.0.1', port: server.coapPort, pathname: '/7', query: `since=${since}`, observe: true, agent: client.agent });
  req.setOption('256', Buffer.from(me.accessToken));
  const stream = await new Promise<ObserveReadStream>((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => resolve(res as ObserveReadStream));
    req.on('error', reject);
    req.end();
  });
  const bodies: Array<Record<string, unknown>> = [];
  stream.on('data', (payload: Buffer) => bodies.push(decodeCborBody(payload).value as Record<string, unknown>));
  return { client, stream, bodies };
}

describe('node coap as the observer', () => {
  it('gets every message once and in order, a large one assembled from blocks, and RSTs after close()', async () => {
    const { me, roomId, since } = await observingUser('nodecoap');
    const before = server.observers();
    const { client, stream, bodies } = await nodeCoapObserve(me, since);
    try {
      expect(stream.code).toBe('2.05');
      await waitFor(() => bodies.length === 1); // the initial response
      expect(server.observers()).toBe(before + 1);
      const big = 'b'.repeat(2_500);
      const texts = ['n1', 'n2', big, 'n3'];
      for (const text of texts) {
        const count = bodies.length;
        await server.send(bob, roomId, text);
        await waitFor(() => bodies.length === count + 1);
      }
      expect(bodies.slice(1).flatMap((b) => messageBodies(b))).toEqual(texts);
      // node coap closes without deregistering; the next notification is answered with RST.
      stream.close();
      await server.send(bob, roomId, 'nobody listens');
      await waitFor(() => server.observers() === before);
    } finally {
      client.close();
    }
  });

  it('close(true) deregisters at once with GET + Observe: 1', async () => {
    const { me, since } = await observingUser('eager');
    const before = server.observers();
    const { client, stream, bodies } = await nodeCoapObserve(me, since);
    try {
      await waitFor(() => bodies.length === 1);
      expect(server.observers()).toBe(before + 1);
      stream.close(true);
      await waitFor(() => server.observers() === before);
    } finally {
      client.close();
    }
  });
});

describe('libcoap coap-client-notls -s as the observer', () => {
  it('prints one notification per message, in order, the large one fetched block-wise, and deregisters at the end', async () => {
    const { me, roomId, since } = await observingUser('libcoap');
    const before = server.observers();
    const dir = mkdtempSync(join(tmpdir(), 'lattice-libcoap-observe-'));
    try {
      const out = join(dir, 'out');
      // JSON (Accept 50) so each notification is one line of the output file (-w adds the newline).
      const child = spawn(LIBCOAP_CLIENT, ['-s', '5', '-B', '8', '-A', '50', '-w', '-o', out, '-O', `256,${me.accessToken}`, `coap://127.0.0.1:${server.coapPort}/7?since=${since}`], {
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      await waitFor(() => server.observers() === before + 1);
      const big = 'L'.repeat(2_500);
      const texts = ['l1', 'l2', big, 'l3'];
      for (const text of texts) {
        await server.send(bob, roomId, text);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(await exited).toBe(0);
      const lines = readFileSync(out, 'utf8').split('\n').filter((l) => l.length > 0);
      const bodies = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(bodies.flatMap((b) => messageBodies(b))).toEqual(texts);
      expect(bodies.length).toBe(1 + texts.length); // the initial response and one notification each
      // At the end of -s libcoap cancels the observation; the server holds nothing for it.
      await waitFor(() => server.observers() === before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  it('after logout libcoap gets the final 4.01 and the registration is gone', async () => {
    const { me, roomId, since } = await observingUser('libcoap2');
    const before = server.observers();
    const dir = mkdtempSync(join(tmpdir(), 'lattice-libcoap-observe-'));
    try {
      const out = join(dir, 'out');
      let stderr = '';
      const child = spawn(LIBCOAP_CLIENT, ['-s', '4', '-B', '6', '-A', '50', '-w', '-o', out, '-O', `256,${me.accessToken}`, `coap://127.0.0.1:${server.coapPort}/7?since=${since}`]);
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      await waitFor(() => server.observers() === before + 1);
      await server.send(bob, roomId, 'before logout');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await server.http.post(`${CS}/logout`, {}, { token: me.accessToken })).status).toBe(200);
      await waitFor(() => server.observers() === before);
      await exited;
      const text = readFileSync(out, 'utf8');
      expect(messageBodies(JSON.parse(text.split('\n')[1]!))).toEqual(['before logout']);
      // libcoap prints an error response as "<code> <payload>" on stderr: the final notification.
      expect(stderr).toMatch(/^4\.01 .*M_UNKNOWN_TOKEN/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
