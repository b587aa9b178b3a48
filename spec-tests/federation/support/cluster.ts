import { rmSync } from 'node:fs';
import { expect } from 'vitest';
import type { ConfigFile } from '../../../src/config.js';
import { CS } from '../../support/client.js';
import { makeTempDir } from '../../support/server.js';
import { enc, newUser, RoomClient } from '../../rooms/helpers.js';
import { startFederatingServer, type FederatingServer } from './federating-server.js';
import { freePort } from './free-port.js';
import { startSpecTap, type SpecTap } from './spec-tap.js';
import { createTestCa, type TestCa } from './test-ca.js';

/**
 * Three (or more) real Lattice instances federating over HTTPS on 127.0.0.1, .2, .3, with
 * certificates from a CA made for the run, for the multi-server scenarios. Each server is
 * reached through a spec tap (spec-tap.ts), so every scenario also checks its federation traffic
 * against the spec's server-server definitions. Servers can be
 * stopped and started again on the same data dir and port (partitions), and the helpers wait
 * for what federation delivers asynchronously with bounded polling.
 */

export interface ClusterNode {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  server: FederatingServer | undefined;
  /** With `tap`: the spec-checking tap peers reach this node through. */
  tap?: SpecTap;
}

export class Cluster {
  private constructor(
    readonly nodes: ClusterNode[],
    private readonly ca: TestCa,
    private readonly caDir: string,
    private readonly config: ConfigFile,
  ) {}

  /**
   * Peers reach each node through a SpecTap that checks every exchange against the spec's
   * server-server definitions (`tap: false`, or LATTICE_TAP=0, connects them directly); `stop`
   * fails the run when any exchange broke the spec.
   */
  static async start(count = 3, config: ConfigFile = {}, options: { tap?: boolean } = {}): Promise<Cluster> {
    const tapped = options.tap ?? process.env['LATTICE_TAP'] !== '0';
    const caDir = makeTempDir('lattice-cluster-ca-');
    const ca = createTestCa(caDir);
    const nodes: ClusterNode[] = [];
    for (let i = 1; i <= count; i++) {
      const host = `127.0.0.${i}`;
      const name = `hs${i}.test`;
      const port = await freePort(host);
      const tap = tapped ? await startSpecTap({ name, host, ca, target: { host, port } }) : undefined;
      nodes.push({ name, host, port, dataDir: makeTempDir(`lattice-cluster-hs${i}-`), server: undefined, ...(tap ? { tap } : {}) });
    }
    const cluster = new Cluster(nodes, ca, caDir, config);
    await Promise.all(nodes.map((node) => cluster.startNode(node)));
    return cluster;
  }

  /** The running server of node i (0-based). */
  server(i: number): FederatingServer {
    const server = this.nodes[i]!.server;
    if (!server) throw new Error(`${this.nodes[i]!.name} is stopped`);
    return server;
  }

  async startNode(node: ClusterNode): Promise<void> {
    const overrides: Record<string, string> = {};
    for (const other of this.nodes) if (other !== node) overrides[other.name] = `${other.host}:${other.tap?.port ?? other.port}`;
    node.server = await startFederatingServer({
      name: node.name,
      host: node.host,
      port: node.port,
      ca: this.ca,
      overrides,
      dataDir: node.dataDir,
      config: this.config,
    });
  }

  async stopNode(i: number): Promise<void> {
    const node = this.nodes[i]!;
    await node.server?.stop();
    node.server = undefined;
  }

  async restartNode(i: number): Promise<void> {
    await this.startNode(this.nodes[i]!);
  }

  /** Starts whatever a failed test left stopped, so the next test finds every server up. */
  async ensureAllRunning(): Promise<void> {
    await Promise.all(this.nodes.filter((node) => node.server === undefined).map((node) => this.startNode(node)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.server?.stop()));
    await Promise.all(this.nodes.map((node) => node.tap?.close()));
    for (const node of this.nodes) rmSync(node.dataDir, { recursive: true, force: true });
    rmSync(this.caDir, { recursive: true, force: true });
    const violations = this.nodes.flatMap((node) => node.tap?.violations ?? []);
    if (violations.length > 0) throw new Error(`${violations.length} federation exchanges broke the spec:\n${violations.join('\n').slice(0, 20_000)}`);
  }

  async user(i: number, name: string): Promise<RoomClient> {
    return newUser(this.server(i).client, name);
  }

  /** The same user (session) on node i's current instance: after a restart the old client is closed. */
  rebind(i: number, user: RoomClient): RoomClient {
    return new RoomClient(this.server(i).client, user.session);
  }
}

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The room's timeline as the user sees it, oldest first (event IDs and bodies), via /messages. */
export async function timeline(user: RoomClient, roomId: string, limit = 200): Promise<{ eventId: string; type: string; body?: string; sender: string }[]> {
  const res = await user.request('GET', `${CS}/rooms/${enc(roomId)}/messages?dir=b&limit=${limit}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const chunk = res.body.chunk as { event_id: string; type: string; sender: string; content: { body?: string } }[];
  return chunk.reverse().map((e) => ({ eventId: e.event_id, type: e.type, sender: e.sender, ...(e.content.body !== undefined ? { body: e.content.body } : {}) }));
}

/** Waits until the user sees a message with this body in the room. */
export function waitForMessage(user: RoomClient, roomId: string, body: string, timeoutMs?: number): Promise<string> {
  return waitFor(
    `"${body}" to reach ${user.userId}`,
    async () => (await timeline(user, roomId)).find((e) => e.body === body)?.eventId,
    timeoutMs,
  );
}

/** The user's membership in the room as their server sees it (via /state/m.room.member). */
export async function membershipOf(viewer: RoomClient, roomId: string, userId: string): Promise<string | undefined> {
  const res = await viewer.getState(roomId, 'm.room.member', userId);
  return res.status === 200 ? (res.body.membership as string) : undefined;
}

/** Waits until `viewer`'s server shows `userId` with `membership`. */
export function waitForMembership(viewer: RoomClient, roomId: string, userId: string, membership: string, timeoutMs?: number): Promise<string> {
  return waitFor(`${userId} to be ${membership} as ${viewer.userId} sees it`, async () => ((await membershipOf(viewer, roomId, userId)) === membership ? membership : undefined), timeoutMs);
}

/** The room's current state as {type|state_key → event_id}, sorted, for comparing servers. */
export async function stateIds(user: RoomClient, roomId: string): Promise<Record<string, string>> {
  const res = await user.allState(roomId);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const out: Record<string, string> = {};
  for (const e of res.body as { type: string; state_key: string; event_id: string }[]) out[`${e.type}|${e.state_key}`] = e.event_id;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
