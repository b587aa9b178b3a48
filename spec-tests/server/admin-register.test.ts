// Synapse's shared-secret registration endpoint and `lattice register-user`.
import { createHmac } from 'node:crypto';
import { rmSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { CS, login } from '../support/client.js';
import { makeTempDir, startTestServer, type TestServer } from '../support/server.js';

const SECRET = 'the shared secret';
const ADMIN = '/_synapse/admin/v1/register';

function mac(nonce: string, username: string, password: string, admin: boolean, secret = SECRET): string {
  return createHmac('sha1', secret)
    .update(`${nonce}\x00${username}\x00${password}\x00${admin ? 'admin' : 'notadmin'}`)
    .digest('hex');
}

describe('/_synapse/admin/v1/register', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Client registration closed: the shared secret still works.
    server = await startTestServer({ config: { enable_registration: false, registration_shared_secret: SECRET } });
  });
  afterAll(() => server.stop());

  it('registers an admin with a valid HMAC over a fresh nonce', async () => {
    const { body } = await server.client.get(ADMIN);
    expect(typeof body.nonce).toBe('string');
    const res = await server.client.post(ADMIN, { nonce: body.nonce, username: 'root', password: 'pw', admin: true, displayname: 'Root', mac: mac(body.nonce, 'root', 'pw', true) });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe('@root:localhost');
    const requester = server.homeserver.services.sessions.authenticate(res.body.access_token, '127.0.0.1');
    expect(requester.isAdmin).toBe(true);
    expect((await login(server.client, 'root', 'pw')).status).toBe(200);
    expect((await server.client.get(`${CS}/profile/@root:localhost/displayname`)).body).toEqual({ displayname: 'Root' });
  });

  it('registers a non-admin', async () => {
    const { body } = await server.client.get(ADMIN);
    const res = await server.client.post(ADMIN, { nonce: body.nonce, username: 'plain', password: 'pw', mac: mac(body.nonce, 'plain', 'pw', false) });
    expect(res.status).toBe(200);
    expect(server.homeserver.services.sessions.authenticate(res.body.access_token, '127.0.0.1').isAdmin).toBe(false);
  });

  it('rejects a wrong HMAC, a reused nonce and an unknown nonce', async () => {
    const { body } = await server.client.get(ADMIN);
    const wrong = await server.client.post(ADMIN, { nonce: body.nonce, username: 'eve', password: 'pw', mac: mac(body.nonce, 'eve', 'pw', false, 'guess') });
    expect(wrong.status).toBe(403);
    // The nonce was consumed by the failed attempt.
    const reused = await server.client.post(ADMIN, { nonce: body.nonce, username: 'eve', password: 'pw', mac: mac(body.nonce, 'eve', 'pw', false) });
    expect(reused.status).toBe(400);
    const unknown = await server.client.post(ADMIN, { nonce: 'made-up', username: 'eve', password: 'pw', mac: mac('made-up', 'eve', 'pw', false) });
    expect(unknown.status).toBe(400);
    // Flipping the admin flag invalidates the MAC.
    const fresh = (await server.client.get(ADMIN)).body.nonce;
    const escalated = await server.client.post(ADMIN, { nonce: fresh, username: 'eve', password: 'pw', admin: true, mac: mac(fresh, 'eve', 'pw', false) });
    expect(escalated.status).toBe(403);
  });

  it('rejects taken usernames', async () => {
    const { body } = await server.client.get(ADMIN);
    const res = await server.client.post(ADMIN, { nonce: body.nonce, username: 'root', password: 'x', mac: mac(body.nonce, 'root', 'x', false) });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe('M_USER_IN_USE');
  });

  it('is off without registration_shared_secret', async () => {
    const plain = await startTestServer();
    try {
      const { body } = await plain.client.get(ADMIN);
      const res = await plain.client.post(ADMIN, { nonce: body.nonce, username: 'x', password: 'x', mac: mac(body.nonce, 'x', 'x', false) });
      expect(res.status).toBe(400);
    } finally {
      await plain.stop();
    }
  });
});

async function cli(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runCli(args, { stdin: Readable.from([stdin]), stdout, stderr });
  return { code, out, err };
}

describe('lattice register-user', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = makeTempDir();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates users (admin or not) that can log in to the server on that data dir', async () => {
    const admin = await cli(['register-user', 'carol', '--password', 'pw1', '--admin', '--data-dir', dataDir]);
    expect(admin).toMatchObject({ code: 0, out: '@carol:localhost (admin)\n' });
    const fromStdin = await cli(['register-user', 'dan', '--password', '-', '--display-name', 'Dan D', '--data-dir', dataDir], 'pw2\n');
    expect(fromStdin.code).toBe(0);
    const dup = await cli(['register-user', 'carol', '--password', 'x', '--data-dir', dataDir]);
    expect(dup.code).toBe(1);
    expect(dup.err).toContain('M_USER_IN_USE');
    const bad = await cli(['register-user', 'no spaces', '--password', 'x', '--data-dir', dataDir]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('M_INVALID_USERNAME');

    const server = await startTestServer({ dataDir });
    try {
      const carol = await login(server.client, 'carol', 'pw1');
      expect(carol.status).toBe(200);
      expect(server.homeserver.services.sessions.authenticate(carol.body.access_token, '127.0.0.1').isAdmin).toBe(true);
      const dan = await login(server.client, 'dan', 'pw2');
      expect(dan.status).toBe(200);
      expect(server.homeserver.services.sessions.authenticate(dan.body.access_token, '127.0.0.1').isAdmin).toBe(false);
      expect((await server.client.get(`${CS}/profile/@dan:localhost`)).body.displayname).toBe('Dan D');
      // And while the server runs (SQLite WAL): the new user can log in at once.
      expect((await cli(['register-user', 'erik', '--password', 'pw3', '--data-dir', dataDir])).code).toBe(0);
      expect((await login(server.client, 'erik', 'pw3')).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('explains bad invocations', async () => {
    expect((await cli(['register-user', '--password', 'x'])).err).toContain('missing <localpart>');
    expect((await cli(['register-user', 'x', '--data-dir', dataDir])).err).toContain('missing --password');
  });
});
