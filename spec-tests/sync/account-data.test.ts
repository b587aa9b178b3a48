// Account data (global and per room), room tags, and how /sync carries them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, registerUser, type Session } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let ada: Session;
let bo: Session;
beforeAll(async () => {
  server = await startTestServer();
  ada = await registerUser(server.client, 'ada', 'pw');
  bo = await registerUser(server.client, 'bo', 'pw');
});
afterAll(() => server.stop());

const ROOM = '!someroom:localhost';
const global = (user: string, type: string) => `${CS}/user/${encodeURIComponent(user)}/account_data/${encodeURIComponent(type)}`;
const perRoom = (user: string, room: string, type: string) =>
  `${CS}/user/${encodeURIComponent(user)}/rooms/${encodeURIComponent(room)}/account_data/${encodeURIComponent(type)}`;
const tags = (user: string, room: string, tag?: string) =>
  `${CS}/user/${encodeURIComponent(user)}/rooms/${encodeURIComponent(room)}/tags${tag === undefined ? '' : `/${encodeURIComponent(tag)}`}`;

describe('global account data', () => {
  it('stores, replaces and reads back', async () => {
    const auth = { token: ada.accessToken };
    expect((await server.client.get(global(ada.userId, 'org.example.cfg'), auth)).status).toBe(404);
    expect((await server.client.put(global(ada.userId, 'org.example.cfg'), { a: 1 }, auth)).status).toBe(200);
    expect((await server.client.put(global(ada.userId, 'org.example.cfg'), { a: 2, b: [true] }, auth)).status).toBe(200);
    const got = await server.client.get(global(ada.userId, 'org.example.cfg'), auth);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ a: 2, b: [true] });
  });

  it("refuses other users' data and server-controlled types", async () => {
    const put = await server.client.put(global(bo.userId, 'org.example.cfg'), { a: 1 }, { token: ada.accessToken });
    expect(put.status).toBe(403);
    expect(put.body.errcode).toBe('M_FORBIDDEN');
    const get = await server.client.get(global(ada.userId, 'org.example.cfg'), { token: bo.accessToken });
    expect(get.status).toBe(403);
    const fullyRead = await server.client.put(global(ada.userId, 'm.fully_read'), { event_id: '$x' }, { token: ada.accessToken });
    expect(fullyRead.status).toBe(405);
    expect(fullyRead.body.errcode).toBe('M_BAD_JSON');
    const notObject = await server.client.request('PUT', global(ada.userId, 'org.example.cfg'), { raw: '[1]', token: ada.accessToken });
    expect(notObject.status).toBe(400);
  });
});

describe('room account data and tags', () => {
  it('keeps per-room data apart from global data', async () => {
    const auth = { token: ada.accessToken };
    expect((await server.client.put(perRoom(ada.userId, ROOM, 'org.example.cfg'), { room: true }, auth)).status).toBe(200);
    expect((await server.client.get(perRoom(ada.userId, ROOM, 'org.example.cfg'), auth)).body).toEqual({ room: true });
    expect((await server.client.get(global(ada.userId, 'org.example.cfg'), auth)).body).toEqual({ a: 2, b: [true] });
    const bad = await server.client.get(perRoom(ada.userId, '@notaroom:localhost', 'x'), auth);
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
  });

  it('adds, lists and removes tags', async () => {
    const auth = { token: ada.accessToken };
    expect((await server.client.get(tags(ada.userId, ROOM), auth)).body).toEqual({ tags: {} });
    expect((await server.client.put(tags(ada.userId, ROOM, 'm.favourite'), { order: 0.25 }, auth)).status).toBe(200);
    expect((await server.client.put(tags(ada.userId, ROOM, 'u.work'), {}, auth)).status).toBe(200);
    expect((await server.client.get(tags(ada.userId, ROOM), auth)).body).toEqual({ tags: { 'm.favourite': { order: 0.25 }, 'u.work': {} } });
    expect((await server.client.delete(tags(ada.userId, ROOM, 'u.work'), undefined, auth)).status).toBe(200);
    expect((await server.client.delete(tags(ada.userId, ROOM, 'u.nothing'), undefined, auth)).status).toBe(200);
    expect((await server.client.get(tags(ada.userId, ROOM), auth)).body).toEqual({ tags: { 'm.favourite': { order: 0.25 } } });
    // Tags are the room's m.tag account data.
    expect((await server.client.get(perRoom(ada.userId, ROOM, 'm.tag'), auth)).body).toEqual({ tags: { 'm.favourite': { order: 0.25 } } });
    const badOrder = await server.client.put(tags(ada.userId, ROOM, 'u.x'), { order: 'first' }, auth);
    expect(badOrder.status).toBe(400);
    expect((await server.client.get(tags(bo.userId, ROOM), auth)).status).toBe(403);
  });
});

describe('account data in /sync', () => {
  it('initial sync carries global data; incremental syncs carry only changes', async () => {
    const auth = { token: bo.accessToken };
    await server.client.put(global(bo.userId, 'org.example.one'), { n: 1 }, auth);
    await server.client.put(global(bo.userId, 'org.example.two'), { n: 2 }, auth);
    const first = await server.client.get(`${CS}/sync`, auth);
    expect(first.status).toBe(200);
    const types = first.body.account_data.events.map((e: { type: string }) => e.type).sort();
    expect(types).toEqual(['org.example.one', 'org.example.two']);

    const quiet = await server.client.get(`${CS}/sync`, { ...auth, query: { since: first.body.next_batch } });
    expect(quiet.body.account_data).toBeUndefined();

    await server.client.put(global(bo.userId, 'org.example.two'), { n: 3 }, auth);
    const next = await server.client.get(`${CS}/sync`, { ...auth, query: { since: quiet.body.next_batch } });
    expect(next.body.account_data.events).toEqual([{ type: 'org.example.two', content: { n: 3 } }]);
  });

  it('a long-poll wakes when account data changes', async () => {
    const auth = { token: bo.accessToken };
    const first = await server.client.get(`${CS}/sync`, auth);
    const started = Date.now();
    const poll = server.client.get(`${CS}/sync`, { ...auth, query: { since: first.body.next_batch, timeout: '10000' } });
    await new Promise((r) => setTimeout(r, 150));
    await server.client.put(global(bo.userId, 'org.example.wake'), { up: true }, auth);
    const res = await poll;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.body.account_data.events).toEqual([{ type: 'org.example.wake', content: { up: true } }]);
  });

  it('an empty long-poll returns after its timeout with a usable token', async () => {
    const auth = { token: bo.accessToken };
    const first = await server.client.get(`${CS}/sync`, auth);
    const started = Date.now();
    const res = await server.client.get(`${CS}/sync`, { ...auth, query: { since: first.body.next_batch, timeout: '300' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(res.body.rooms).toBeUndefined();
    expect(typeof res.body.next_batch).toBe('string');
  });

  it('filters account data by type', async () => {
    const auth = { token: bo.accessToken };
    const filter = JSON.stringify({ account_data: { types: ['org.example.one'] } });
    const res = await server.client.get(`${CS}/sync`, { ...auth, query: { filter } });
    expect(res.body.account_data.events.map((e: { type: string }) => e.type)).toEqual(['org.example.one']);
  });
});

describe('push rules (read side)', () => {
  it('serves the server-default ruleset, valid per the spec', async () => {
    const res = await server.client.get(`${CS}/pushrules/`, { token: ada.accessToken });
    expect(res.status).toBe(200);
    expect(res.body.global.override[0].rule_id).toBe('.m.rule.master');
    const global = await server.client.get(`${CS}/pushrules/global/`, { token: ada.accessToken });
    expect(global.body.underride.some((r: { rule_id: string }) => r.rule_id === '.m.rule.message')).toBe(true);
  });
});
