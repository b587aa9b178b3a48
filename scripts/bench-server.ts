import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setMaxListeners } from 'node:events';
import { Agent, request } from 'undici';

/**
 * Server benchmarks against a real `lattice serve` child process on loopback (its own event loop
 * and core, as in production; this process is the load generator):
 *
 * - send throughput: 50 clients sending messages into 5 rooms they all share;
 * - sync fan-out: 200 clients long-polling /sync in one room; for each message, the time from
 *   "send" to "every one of the 200 has it in a sync response" (p50/p99), and per delivery;
 * - the server's RSS when idle and under those loads.
 *
 * Every loop is bounded in count and time; the server is stopped at the end whatever happens.
 */

const CS = '/_matrix/client/v3';

/** The folder holding package.json, whether this runs from scripts/ or dist/scripts/. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root');
    dir = parent;
  }
  return dir;
}

export interface BenchServer {
  readonly baseUrl: string;
  readonly pid: number;
  /** Resident set size of the server process now, in MiB (Linux /proc). */
  rssMiB(): number;
  stop(): Promise<void>;
}

export interface ThroughputFigures {
  readonly clients: number;
  readonly rooms: number;
  readonly messages: number;
  readonly seconds: number;
  readonly messagesPerSec: number;
  readonly sendP50Ms: number;
  readonly sendP99Ms: number;
  readonly rssMiB: number;
}

export interface FanoutFigures {
  readonly clients: number;
  readonly messages: number;
  /** Send → the last of the clients has it. */
  readonly allP50Ms: number;
  readonly allP99Ms: number;
  /** Send → one client has it, over every (message, client) pair. */
  readonly eachP50Ms: number;
  readonly eachP99Ms: number;
  readonly rssMiB: number;
}

const generous = { per_second: 100_000, burst_count: 100_000 };

/** Starts `node dist/src/main.js serve` on a temporary data dir with an ephemeral port. */
export async function startBenchServer(): Promise<BenchServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'lattice-bench-'));
  const configPath = path.join(dataDir, 'bench.yaml');
  // JSON is YAML: limits high enough that the benchmark measures the server, not its rate limiter.
  writeFileSync(
    configPath,
    JSON.stringify({
      log_level: 'warn',
      rc_message: generous,
      rc_registration: generous,
      rc_login: { address: generous, account: generous, failed_attempts: generous },
      rc_joins: { local: generous, remote: generous },
      rc_invites: { per_room: generous, per_user: generous, per_issuer: generous },
    }),
  );
  const main = path.join(projectRoot(), 'dist', 'src', 'main.js');
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server.
  const nodeArgs = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, main, 'serve', '--config', configPath, '--data-dir', dataDir, '--http', '127.0.0.1:0', '--coap', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /HTTP :\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    baseUrl,
    pid: child.pid!,
    rssMiB: () => rssOf(child.pid!),
    stop: () => stopChild(child, dataDir),
  };
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

async function stopChild(child: ChildProcess, dataDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dataDir, { recursive: true, force: true });
}

// ---- a minimal client ------------------------------------------------------------------

type Json = Record<string, unknown>;

class Client {
  constructor(
    private readonly baseUrl: string,
    private readonly agent: Agent,
    readonly userId = '',
    private readonly token = '',
  ) {}

  withSession(userId: string, token: string): Client {
    return new Client(this.baseUrl, this.agent, userId, token);
  }

  async call(method: 'GET' | 'POST' | 'PUT', pathAndQuery: string, body?: Json, signal?: AbortSignal): Promise<{ status: number; body: Json }> {
    const res = await request(this.baseUrl + pathAndQuery, {
      method,
      dispatcher: this.agent,
      headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? (JSON.parse(text) as Json) : {} };
  }

  async ok(method: 'GET' | 'POST' | 'PUT', pathAndQuery: string, body?: Json): Promise<Json> {
    const res = await this.call(method, pathAndQuery, body);
    if (res.status !== 200) throw new Error(`${method} ${pathAndQuery}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

async function register(anon: Client, username: string): Promise<Client> {
  const first = await anon.call('POST', `${CS}/register`, { username, password: 'bench-pw' });
  const session = String(first.body['session']);
  const done = await anon.ok('POST', `${CS}/register`, { username, password: 'bench-pw', auth: { type: 'm.login.dummy', session } });
  return anon.withSession(String(done['user_id']), String(done['access_token']));
}

/** Runs `fn` over items with at most `width` in flight. */
async function inParallel<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 10) / 10;
}

async function usersAndRoom(server: BenchServer, agent: Agent, prefix: string, count: number): Promise<{ users: Client[]; roomId: string }> {
  const anon = new Client(server.baseUrl, agent);
  const users = await inParallel(
    Array.from({ length: count }, (_, i) => `${prefix}${i}`),
    16,
    (name) => register(anon, name),
  );
  const created = await users[0]!.ok('POST', `${CS}/createRoom`, { preset: 'public_chat', name: `${prefix} room` });
  const roomId = String(created['room_id']);
  await inParallel(users.slice(1), 16, (u) => u.ok('POST', `${CS}/join/${encodeURIComponent(roomId)}`, {}));
  return { users, roomId };
}

// ---- send throughput -------------------------------------------------------------------

export async function benchSendThroughput(
  server: BenchServer,
  options: { clients?: number; rooms?: number; messagesPerClient?: number } = {},
): Promise<ThroughputFigures> {
  const clients = options.clients ?? 50;
  const roomCount = options.rooms ?? 5;
  const perClient = options.messagesPerClient ?? 40;
  const agent = new Agent({ connections: clients + 8, keepAliveTimeout: 30_000 });
  try {
    const anon = new Client(server.baseUrl, agent);
    const users = await inParallel(
      Array.from({ length: clients }, (_, i) => `sender${i}`),
      16,
      (name) => register(anon, name),
    );
    const rooms: string[] = [];
    for (let r = 0; r < roomCount; r++) {
      const created = await users[r % users.length]!.ok('POST', `${CS}/createRoom`, { preset: 'public_chat', name: `shared ${r}` });
      rooms.push(String(created['room_id']));
    }
    await inParallel(
      users.flatMap((u) => rooms.map((roomId) => ({ u, roomId }))),
      16,
      async ({ u, roomId }) => {
        const res = await u.call('POST', `${CS}/join/${encodeURIComponent(roomId)}`, {});
        if (res.status !== 200) throw new Error(`join: ${res.status} ${JSON.stringify(res.body)}`);
      },
    );

    let rss = server.rssMiB();
    const sampler = setInterval(() => (rss = Math.max(rss, server.rssMiB())), 100);
    const latencies: number[] = [];
    const started = performance.now();
    try {
      await Promise.all(
        users.map(async (u, ui) => {
          for (let m = 0; m < perClient; m++) {
            const roomId = rooms[(ui + m) % rooms.length]!;
            const t0 = performance.now();
            await u.ok('PUT', `${CS}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${ui}-${m}`, { msgtype: 'm.text', body: `message ${m} from ${ui}` });
            latencies.push(performance.now() - t0);
          }
        }),
      );
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      clients,
      rooms: roomCount,
      messages: clients * perClient,
      seconds: Math.round(seconds * 100) / 100,
      messagesPerSec: Math.round((clients * perClient) / seconds),
      sendP50Ms: percentile(latencies, 50),
      sendP99Ms: percentile(latencies, 99),
      rssMiB: rss,
    };
  } finally {
    await agent.close();
  }
}

// ---- sync fan-out ----------------------------------------------------------------------

export async function benchSyncFanout(server: BenchServer, options: { clients?: number; messages?: number } = {}): Promise<FanoutFigures> {
  const count = options.clients ?? 200;
  const messages = options.messages ?? 100;
  const agent = new Agent({ connections: count + 16, keepAliveTimeout: 60_000 });
  const stop = new AbortController();
  // Every long-poll listens on this one signal.
  setMaxListeners(count * 4, stop.signal);
  try {
    const { users, roomId } = await usersAndRoom(server, agent, 'poller', count);
    const sender = users[0]!;
    /** Per message body, when each client first saw it (ms, performance.now()). */
    const seen = new Map<string, number[]>();
    let syncErrors = 0;
    /** Clients past their initial sync, long-polling. */
    let parked = 0;

    // Each client: an initial sync, then long-polls back to back until stopped.
    const filter = encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 50 }, state: { lazy_load_members: true } }, presence: { not_types: ['*'] } }));
    const loops = users.map(async (u) => {
      let since: string | undefined;
      let counted = false;
      while (!stop.signal.aborted) {
        if (since !== undefined && !counted) {
          counted = true;
          parked++;
        }
        const query = `?filter=${filter}&timeout=30000${since ? `&since=${encodeURIComponent(since)}` : ''}`;
        let res: { status: number; body: Json };
        try {
          res = await u.call('GET', `${CS}/sync${query}`, undefined, stop.signal);
        } catch {
          if (!stop.signal.aborted) syncErrors++;
          continue;
        }
        if (res.status !== 200) {
          syncErrors++;
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        const now = performance.now();
        since = String(res.body['next_batch']);
        const join = (res.body['rooms'] as { join?: Record<string, { timeline?: { events?: { type: string; content: { body?: string } }[] } }> } | undefined)?.join;
        for (const e of join?.[roomId]?.timeline?.events ?? []) {
          const body = e.type === 'm.room.message' ? e.content.body : undefined;
          if (body?.startsWith('fanout ')) seen.get(body)?.push(now);
        }
      }
    });

    // Let every client finish its initial sync and park its long-poll, and the presence
    // updates of 200 users coming online settle.
    const warmup = performance.now() + 60_000;
    while (parked < count && performance.now() < warmup) await new Promise((r) => setTimeout(r, 20));
    if (parked < count) throw new Error(`only ${parked}/${count} clients got through their initial sync`);
    await new Promise((r) => setTimeout(r, 1000));
    let rss = server.rssMiB();
    const sampler = setInterval(() => (rss = Math.max(rss, server.rssMiB())), 100);
    const all: number[] = [];
    const each: number[] = [];
    try {
      for (let m = 0; m < messages; m++) {
        const body = `fanout ${m}`;
        const arrivals: number[] = [];
        seen.set(body, arrivals);
        const t0 = performance.now();
        await sender.ok('PUT', `${CS}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/f${m}`, { msgtype: 'm.text', body });
        // Wait (bounded) until every client has it, then let the long-polls settle again.
        const deadline = t0 + 10_000;
        while (arrivals.length < count && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
        if (arrivals.length < count) throw new Error(`message ${m}: only ${arrivals.length}/${count} clients received it within 10 s`);
        for (const t of arrivals) each.push(t - t0);
        all.push(Math.max(...arrivals) - t0);
        if (process.env['BENCH_VERBOSE']) console.log(`    message ${m}: all ${Math.round(Math.max(...arrivals) - t0)} ms, first ${Math.round(Math.min(...arrivals) - t0)} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      clearInterval(sampler);
    }
    stop.abort();
    await Promise.allSettled(loops);
    if (syncErrors > 0) console.log(`  (${syncErrors} sync requests failed)`);
    all.sort((a, b) => a - b);
    each.sort((a, b) => a - b);
    return {
      clients: count,
      messages,
      allP50Ms: percentile(all, 50),
      allP99Ms: percentile(all, 99),
      eachP50Ms: percentile(each, 50),
      eachP99Ms: percentile(each, 99),
      rssMiB: rss,
    };
  } finally {
    stop.abort();
    await agent.close();
  }
}

/** The `server` section of `npm run bench`. */
export async function benchServer(): Promise<void> {
  const server = await startBenchServer();
  try {
    await new Promise((r) => setTimeout(r, 500));
    const idle = server.rssMiB();
    console.log('server (lattice serve child process, loopback HTTP)');
    console.log(`  RSS idle                   ${idle} MiB`);
    const t = await benchSendThroughput(server);
    console.log(
      `  send: ${t.clients} clients, ${t.rooms} shared rooms: ${t.messagesPerSec.toLocaleString('en')} messages/s ` +
        `(${t.messages} in ${t.seconds} s; per send p50 ${t.sendP50Ms} ms, p99 ${t.sendP99Ms} ms); RSS ≤ ${t.rssMiB} MiB`,
    );
    const f = await benchSyncFanout(server);
    console.log(
      `  sync fan-out: ${f.clients} long-polling clients, ${f.messages} messages: send → all have it p50 ${f.allP50Ms} ms, p99 ${f.allP99Ms} ms; ` +
        `per delivery p50 ${f.eachP50Ms} ms, p99 ${f.eachP99Ms} ms; RSS ≤ ${f.rssMiB} MiB`,
    );
    console.log(`  RSS after the runs         ${server.rssMiB()} MiB`);
  } finally {
    await server.stop();
  }
}
