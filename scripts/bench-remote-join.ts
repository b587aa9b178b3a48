import { readFileSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { parseConfigFile, resolveConfig } from '../src/config.js';
import { createHomeserver, type Homeserver } from '../src/homeserver.js';
import { makeTempDir } from '../spec-tests/support/server.js';
import { freePort } from '../spec-tests/federation/support/free-port.js';
import { createTestCa, type TestCa } from '../spec-tests/federation/support/test-ca.js';

/**
 * The time for a remote join of a big room: two Lattice instances federating over HTTPS on
 * loopback (certificates from a CA made for the run), a public room on A with `members` joined
 * users, and B's user joining it through A: make_join, send_join (A answers the full state and
 * auth chain), B checks every signature and hash, stores state and auth chain, persists the
 * join. The clock runs from B's client request to its answer.
 *
 * The room is filled through A's services (one signed join event per member, persisted in
 * batches), not 10,000 HTTP registrations: what is measured is the join, not the set-up.
 */

const CS = '/_matrix/client/v3';
const BATCH = 1000;

interface BenchNode {
  readonly homeserver: Homeserver;
  readonly baseUrl: string;
  readonly dataDir: string;
}

export async function benchRemoteJoin(members = 10_000): Promise<{ members: number; ms: number }> {
  const caDir = makeTempDir('lattice-bench-ca-');
  const ca = createTestCa(caDir);
  const agent = new Agent({ connect: { ca: readFileSync(ca.caCertPath, 'utf8') } });
  const nodes: BenchNode[] = [];
  try {
    const [portA, portB] = await Promise.all([freePort('127.0.0.1'), freePort('127.0.0.2')]);
    const a = await startNode(ca, 'hs1.bench', '127.0.0.1', portA, { 'hs2.bench': `127.0.0.2:${portB}` });
    nodes.push(a);
    const b = await startNode(ca, 'hs2.bench', '127.0.0.2', portB, { 'hs1.bench': `127.0.0.1:${portA}` });
    nodes.push(b);

    const alice = await register(agent, a, 'alice');
    const created = await call(agent, a, 'POST', `${CS}/createRoom`, alice, { preset: 'public_chat' });
    const roomId = created.room_id as string;

    const creator = a.homeserver.services.rooms.creator;
    for (let start = 0; start < members - 1; start += BATCH) {
      creator.batch((emit) => {
        for (let i = start; i < Math.min(start + BATCH, members - 1); i++) {
          const userId = `@member${i}:hs1.bench`;
          emit({ template: { type: 'm.room.member', state_key: userId, sender: userId, content: { membership: 'join', displayname: `Member ${i}` }, room_id: roomId } });
        }
      });
    }

    const bob = await register(agent, b, 'bob');
    const started = performance.now();
    await call(agent, b, 'POST', `${CS}/join/${encodeURIComponent(roomId)}?via=hs1.bench`, bob, {});
    return { members, ms: Math.round(performance.now() - started) };
  } finally {
    await Promise.all(nodes.map((n) => n.homeserver.stop()));
    await agent.close();
    for (const n of nodes) rmSync(n.dataDir, { recursive: true, force: true });
    rmSync(caDir, { recursive: true, force: true });
  }
}

async function startNode(ca: TestCa, name: string, host: string, port: number, overrides: Record<string, string>): Promise<BenchNode> {
  const dataDir = makeTempDir('lattice-bench-');
  const cert = ca.issue(name, [name], [host]);
  const generous = { per_second: 100_000, burst_count: 100_000 };
  const file = parseConfigFile({
    server_name: name,
    federation_custom_ca_list: [ca.caCertPath],
    federation_address_overrides: overrides,
    rc_registration: generous,
    rc_joins: { local: generous, remote: generous },
    rc_message: generous,
  });
  const config = resolveConfig(file, { dataDir, http: [], https: [`${host}:${port}`], tlsCert: cert.certPath, tlsKey: cert.keyPath, coap: [] });
  // Names resolve to nothing: every peer is reached through its override, nothing leaves loopback.
  const dns = { lookup: async (h: string) => (isIP(h) ? [h] : []), resolveSrv: async () => [] };
  const homeserver = createHomeserver(config, { logger: pino({ level: 'silent' }), federationDns: dns });
  await homeserver.start();
  return { homeserver, baseUrl: `https://${host}:${port}`, dataDir };
}

type Json = Record<string, unknown>;

async function call(agent: Agent, node: BenchNode, method: 'GET' | 'POST' | 'PUT', path: string, token: string | undefined, body: Json): Promise<Json> {
  const res = await request(`${node.baseUrl}${path}`, {
    method,
    dispatcher: agent,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const parsed = (await res.body.json()) as Json;
  if (res.statusCode !== 200) throw new Error(`${method} ${path}: ${res.statusCode} ${JSON.stringify(parsed)}`);
  return parsed;
}

/** Registers through the dummy UIA stage; returns the access token. */
async function register(agent: Agent, node: BenchNode, username: string): Promise<string> {
  const first = await request(`${node.baseUrl}${CS}/register`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'password' }),
  });
  const { session } = (await first.body.json()) as { session: string };
  const done = await call(agent, node, 'POST', `${CS}/register`, undefined, { username, password: 'password', auth: { type: 'm.login.dummy', session } });
  return done.access_token as string;
}
