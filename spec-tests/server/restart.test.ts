// Durability: what the server acknowledged is there after a restart on the same data dir,
// including after kill -9 of the real `lattice serve` process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CS, login, registerUser, TestClient } from '../support/client.js';
import { projectRoot } from '../support/openapi.js';
import { makeTempDir, startTestServer } from '../support/server.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('restart on the same data dir', () => {
  it('keeps accounts, sessions, devices, profiles, filters and the signing key', async () => {
    const dataDir = makeTempDir();
    dirs.push(dataDir);
    const first = await startTestServer({ dataDir });
    expect(first.homeserver.createdSigningKey).toBe(true);
    const keyFile = readFileSync(first.config.signingKeyPath, 'utf8');
    expect(keyFile).toMatch(/^ed25519 a_\w+ [A-Za-z0-9+/]{43}\n$/);
    const publicKey = first.homeserver.services.signingKey.publicKeyBase64;
    const s = await registerUser(first.client, 'persist', 'pw', { initial_device_display_name: 'Desk' });
    await first.client.put(`${CS}/profile/@persist:localhost/displayname`, { displayname: 'Persistent' }, { token: s.accessToken });
    const filter = await first.client.post(`${CS}/user/@persist:localhost/filter`, { room: { timeline: { limit: 3 } } }, { token: s.accessToken });
    await first.stop();

    const second = await startTestServer({ dataDir });
    try {
      expect(second.homeserver.createdSigningKey).toBe(false);
      expect(second.homeserver.services.signingKey.publicKeyBase64).toBe(publicKey);
      const me = await second.client.get(`${CS}/account/whoami`, { token: s.accessToken });
      expect(me.body).toMatchObject({ user_id: '@persist:localhost', device_id: s.deviceId });
      const devices = await second.client.get(`${CS}/devices`, { token: s.accessToken });
      expect(devices.body.devices[0].display_name).toBe('Desk');
      expect((await second.client.get(`${CS}/profile/@persist:localhost`)).body.displayname).toBe('Persistent');
      const back = await second.client.get(`${CS}/user/@persist:localhost/filter/${filter.body.filter_id}`, { token: s.accessToken });
      expect(back.body).toEqual({ room: { timeline: { limit: 3 } } });
      expect((await login(second.client, 'persist', 'pw')).status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});

/** Starts `node dist/src/main.js serve` and resolves with its HTTP base URL from the banner. */
function serve(dataDir: string): Promise<{ child: ChildProcess; baseUrl: string; output: () => string }> {
  const main = path.join(projectRoot, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run the build (npm test does) before this test`);
  const child = spawn(process.execPath, [main, 'serve', '--data-dir', dataDir, '--http', '127.0.0.1:0', '--coap', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'test' },
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 15_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /HTTP :\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, baseUrl: m[1]!, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${out}`));
    });
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

describe('lattice serve as a process', () => {
  it('prints where it listens and how to register; an acknowledged registration survives kill -9', async () => {
    const dataDir = makeTempDir();
    dirs.push(dataDir);
    const first = await serve(dataDir);
    expect(first.output()).toContain('register-user');
    expect(first.output()).toContain('new: database and signing key created');
    const client = new TestClient(first.baseUrl);
    const s = await registerUser(client, 'survivor', 'pw');
    // No graceful anything: the process dies right after answering.
    first.child.kill('SIGKILL');
    expect((await exited(first.child)).signal).toBe('SIGKILL');

    const second = await serve(dataDir);
    try {
      const again = new TestClient(second.baseUrl);
      expect((await again.get(`${CS}/account/whoami`, { token: s.accessToken })).body.user_id).toBe('@survivor:localhost');
      expect((await login(again, 'survivor', 'pw')).status).toBe(200);
    } finally {
      second.child.kill('SIGTERM');
    }
    // SIGTERM is a graceful shutdown with exit code 0.
    expect(await exited(second.child)).toEqual({ code: 0, signal: null });
  });
});
