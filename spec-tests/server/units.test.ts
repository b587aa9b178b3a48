// Unit tests of the request path's building blocks: routing, rate limiting, migrations.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../src/api/endpoint.js';
import { Router } from '../../src/api/routes.js';
import { MatrixError } from '../../src/services/errors.js';
import { RateLimiter } from '../../src/services/rate-limit.js';
import { applyMigrations, defaultMigrationsDir, MigrationError } from '../../src/storage/migrations.js';
import { hashPassword, verifyPassword } from '../../src/services/passwords.js';

type Route = Pick<Endpoint, 'method' | 'path' | 'aliases'> & { name: string };

describe('Router', () => {
  const table: Route[] = [
    { name: 'state', method: 'GET', path: '/rooms/{roomId}/state/{eventType}/{stateKey}' },
    { name: 'put-state', method: 'PUT', path: '/rooms/{roomId}/state/{eventType}/{stateKey}' },
    { name: 'members', method: 'GET', path: '/rooms/{roomId}/members' },
    { name: 'joined', method: 'GET', path: '/rooms/joined/members' },
    { name: 'login', method: 'GET', path: '/v3/login', aliases: ['/r0/login'] },
  ];
  const router = new Router(table);
  const found = (method: string, p: string) => {
    const m = router.match(method, p);
    return m.kind === 'found' ? { name: m.endpoint.name, params: m.params } : m.kind;
  };

  it('decodes parameters after matching, so %2F stays inside its segment', () => {
    expect(found('GET', '/rooms/!a%2Fb%3Ac/state/m.room.member/%40u%3Ahs')).toEqual({
      name: 'state',
      params: { roomId: '!a/b:c', eventType: 'm.room.member', stateKey: '@u:hs' },
    });
  });
  it('matches an empty last segment (the empty state key)', () => {
    expect(found('GET', '/rooms/!r/state/m.room.name/')).toEqual({ name: 'state', params: { roomId: '!r', eventType: 'm.room.name', stateKey: '' } });
  });
  it('prefers literal segments over parameters', () => {
    expect(found('GET', '/rooms/joined/members')).toEqual({ name: 'joined', params: {} });
    expect(found('GET', '/rooms/!x/members')).toEqual({ name: 'members', params: { roomId: '!x' } });
  });
  it('serves aliases, HEAD as GET, and tells 404 from 405', () => {
    expect(found('GET', '/r0/login')).toEqual({ name: 'login', params: {} });
    expect(found('HEAD', '/v3/login')).toEqual({ name: 'login', params: {} });
    expect(router.match('POST', '/v3/login')).toEqual({ kind: 'method-not-allowed', allowed: ['GET'] });
    expect(router.match('GET', '/v3/logout')).toEqual({ kind: 'not-found' });
    expect(router.match('GET', '/v3/login/')).toEqual({ kind: 'not-found' });
    expect(router.match('GET', 'v3/login')).toEqual({ kind: 'not-found' });
  });
  it('reports bad percent-encoding', () => {
    expect(router.match('GET', '/rooms/%E0%A4%A/members').kind).toBe('bad-path');
  });
  it('refuses a table with the same route twice', () => {
    expect(() => new Router([...table, { name: 'dup', method: 'GET', path: '/rooms/{other}/members' }])).toThrow(/duplicate/);
  });
});

describe('RateLimiter', () => {
  it('allows a burst, then one action per 1/perSecond seconds, with the wait in the error', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ now: () => now });
    const setting = { perSecond: 0.5, burstCount: 3 };
    for (let i = 0; i < 3; i++) limiter.take('b', 'k', setting);
    let err: unknown;
    try {
      limiter.take('b', 'k', setting);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MatrixError);
    const m = err as MatrixError;
    expect(m.status).toBe(429);
    expect(m.body()).toMatchObject({ errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 2000 });
    expect(m.headers).toEqual({ 'Retry-After': '2' });
    // Other keys and buckets are independent.
    limiter.take('b', 'other', setting);
    limiter.take('c', 'k', setting);
    now += 2000;
    limiter.take('b', 'k', setting);
    expect(() => limiter.take('b', 'k', setting)).toThrow(MatrixError);
  });
  it('check does not consume, record does not check', () => {
    const limiter = new RateLimiter({ now: () => 0 });
    const setting = { perSecond: 1, burstCount: 1 };
    limiter.check('f', 'u', setting);
    limiter.check('f', 'u', setting);
    limiter.record('f', 'u', setting);
    limiter.record('f', 'u', setting);
    expect(() => limiter.check('f', 'u', setting)).toThrow(MatrixError);
  });
  it('Infinity means unlimited', () => {
    const limiter = new RateLimiter({ now: () => 0 });
    for (let i = 0; i < 10_000; i++) limiter.take('g', 'k', { perSecond: Infinity, burstCount: Infinity });
  });
});

describe('migrations', () => {
  it('apply once, in order, and record their versions', () => {
    const db = new Database(':memory:');
    // Every numbered file, in ascending order (the list grows as the schema does).
    const numbered = readdirSync(defaultMigrationsDir())
      .filter((f) => /^\d+_.*\.sql$/.test(f))
      .map((f) => Number.parseInt(f, 10))
      .sort((a, b) => a - b);
    expect(numbered[0]).toBe(1);
    expect(applyMigrations(db, defaultMigrationsDir())).toEqual(numbered);
    expect(applyMigrations(db, defaultMigrationsDir())).toEqual([]);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    for (const t of ['accounts', 'devices', 'access_tokens', 'refresh_tokens', 'events', 'event_edges', 'event_auth_edges', 'state_groups', 'state_groups_state', 'current_state', 'room_memberships', 'rooms', 'room_aliases', 'txn_ids', 'account_data', 'receipts', 'filters', 'profiles']) {
      expect(tables, t).toContain(t);
    }
    db.close();
  });
  it('roll back a failing migration as a whole and refuse databases from the future', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lattice-mig-'));
    try {
      writeFileSync(path.join(dir, '0001_a.sql'), 'CREATE TABLE a (x INTEGER);');
      writeFileSync(path.join(dir, '0002_b.sql'), 'CREATE TABLE b (x INTEGER); THIS IS NOT SQL;');
      const db = new Database(':memory:');
      expect(() => applyMigrations(db, dir)).toThrow();
      expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('a', 'b')").get()).toEqual({ n: 0 });
      rmSync(path.join(dir, '0002_b.sql'));
      expect(applyMigrations(db, dir)).toEqual([1]);
      db.prepare('INSERT INTO schema_migrations VALUES (99, ?, 0)').run('future');
      expect(() => applyMigrations(db, dir)).toThrow(MigrationError);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('passwords', () => {
  it('hash to a PHC string that verifies only the right password', async () => {
    const hash = await hashPassword('hunter2');
    expect(hash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$/);
    expect(await verifyPassword('hunter2', hash)).toBe(true);
    expect(await verifyPassword('hunter3', hash)).toBe(false);
    expect(await verifyPassword('hunter2', 'garbage')).toBe(false);
    expect(await hashPassword('hunter2')).not.toBe(hash); // salted
  });
});
