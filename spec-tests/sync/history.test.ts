// Reading history: /messages (both directions, from/to, filters, lazy-loaded members, access),
// /context, and timestamp_to_event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type Session } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createRoom, join, leave, roomPath, send, setState, sleep, sync, type ClientEventShape } from './helpers.js';

let server: TestServer;
let alice: Session;
let bob: Session;
let outsider: Session;
let roomId: string;
const sent: string[] = [];
let midTs = 0;

beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server.client, 'alice', 'pw');
  bob = await registerUser(server.client, 'bob', 'pw');
  outsider = await registerUser(server.client, 'outsider', 'pw');
  roomId = await createRoom(server.client, alice, { preset: 'public_chat', name: 'History' });
  await join(server.client, bob, roomId);
  for (let i = 0; i < 12; i++) {
    if (i === 6) {
      await sleep(20);
      midTs = Date.now();
      await sleep(20);
    }
    sent.push(await send(server.client, i % 2 === 0 ? alice : bob, roomId, `m${i}`));
  }
});
afterAll(() => server.stop());

type Query = Record<string, string>;
async function messages(s: Session, query: Query) {
  const res = await server.client.get(roomPath(roomId, '/messages'), { token: s.accessToken, query });
  if (res.status !== 200) throw new Error(`messages: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { start: string; end?: string; chunk: ClientEventShape[]; state?: ClientEventShape[] };
}
const texts = (chunk: ClientEventShape[]) => chunk.filter((e) => e.type === 'm.room.message').map((e) => String(e.content['body']));

describe('/messages', () => {
  it('pages backwards from the end, without overlap or gaps, to the room creation', async () => {
    const seen: ClientEventShape[] = [];
    let from: string | undefined;
    let pages = 0;
    for (; pages < 20; pages++) {
      const page = await messages(alice, { dir: 'b', limit: '5', ...(from ? { from } : {}) });
      seen.push(...page.chunk);
      if (page.end === undefined) break;
      from = page.end;
    }
    expect(pages).toBeLessThan(20);
    const ids = seen.map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(texts(seen)).toEqual(Array.from({ length: 12 }, (_, i) => `m${11 - i}`));
    expect(seen.at(-1)?.type).toBe('m.room.create');
  });

  it('pages forwards from the start', async () => {
    const seen: ClientEventShape[] = [];
    let from: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await messages(alice, { dir: 'f', limit: '4', ...(from ? { from } : {}) });
      seen.push(...page.chunk);
      if (page.end === undefined) break;
      from = page.end;
    }
    expect(seen[0]?.type).toBe('m.room.create');
    expect(texts(seen)).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`));
  });

  it('turns around at a token: forward from a backward page’s end returns what came after', async () => {
    const back = await messages(alice, { dir: 'b', limit: '3' });
    expect(texts(back.chunk)).toEqual(['m11', 'm10', 'm9']);
    const forward = await messages(alice, { dir: 'f', from: back.end!, limit: '10' });
    expect(texts(forward.chunk)).toEqual(['m9', 'm10', 'm11']);
  });

  it('stops at `to` and accepts a sync token as `from`', async () => {
    const syncToken = (await sync(server.client, alice)).body.next_batch;
    const first = await messages(alice, { dir: 'b', from: syncToken, limit: '2' });
    expect(texts(first.chunk)).toEqual(['m11', 'm10']);
    const bounded = await messages(alice, { dir: 'b', from: syncToken, to: first.end!, limit: '50' });
    expect(texts(bounded.chunk)).toEqual(['m11', 'm10']);
    expect(bounded.end).toBeUndefined();
  });

  it('applies a RoomEventFilter and lazy-loads the senders’ members', async () => {
    const onlyBob = await messages(alice, { dir: 'b', limit: '3', filter: JSON.stringify({ senders: [bob.userId], lazy_load_members: true }) });
    expect(texts(onlyBob.chunk)).toEqual(['m11', 'm9', 'm7']);
    expect(onlyBob.state?.map((e) => [e.type, e.state_key])).toEqual([['m.room.member', bob.userId]]);
    const notMessages = await messages(alice, { dir: 'f', limit: '50', filter: JSON.stringify({ not_types: ['m.room.message'] }) });
    expect(notMessages.chunk.every((e) => e.type !== 'm.room.message')).toBe(true);
  });

  it('needs dir, valid tokens, and access to the room', async () => {
    const auth = { token: alice.accessToken };
    expect((await server.client.get(roomPath(roomId, '/messages'), auth)).status).toBe(400);
    expect((await server.client.get(roomPath(roomId, '/messages'), { ...auth, query: { dir: 'x' } })).status).toBe(400);
    expect((await server.client.get(roomPath(roomId, '/messages'), { ...auth, query: { dir: 'b', from: 'nonsense' } })).status).toBe(400);
    const forbidden = await server.client.get(roomPath(roomId, '/messages'), { token: outsider.accessToken, query: { dir: 'b' } });
    expect(forbidden.status).toBe(403);
  });

  it('shows a member who left the room only what came before their leave', async () => {
    const room = await createRoom(server.client, alice, { preset: 'public_chat' });
    await join(server.client, outsider, room);
    await send(server.client, alice, room, 'while there');
    await leave(server.client, outsider, room);
    await send(server.client, alice, room, 'after leaving');
    const res = await server.client.get(roomPath(room, '/messages'), { token: outsider.accessToken, query: { dir: 'b', limit: '50' } });
    expect(res.status).toBe(200);
    const bodies = texts(res.body.chunk);
    expect(bodies).toContain('while there');
    expect(bodies).not.toContain('after leaving');
  });

  it('hides history from before one joined when history_visibility is joined', async () => {
    const room = await createRoom(server.client, alice, { preset: 'public_chat' });
    await setState(server.client, alice, room, 'm.room.history_visibility', '', { history_visibility: 'joined' });
    await send(server.client, alice, room, 'before bob');
    await join(server.client, bob, room);
    await send(server.client, alice, room, 'after bob');
    const res = await server.client.get(roomPath(room, '/messages'), { token: bob.accessToken, query: { dir: 'b', limit: '50' } });
    expect(texts(res.body.chunk)).toEqual(['after bob']);
    // Under the default (shared) a new member sees earlier messages.
    const shared = await createRoom(server.client, alice, { preset: 'public_chat' });
    await send(server.client, alice, shared, 'old news');
    await join(server.client, bob, shared);
    const visible = await server.client.get(roomPath(shared, '/messages'), { token: bob.accessToken, query: { dir: 'b', limit: '50' } });
    expect(texts(visible.body.chunk)).toEqual(['old news']);
  });
});

describe('/context', () => {
  it('returns the event with its neighbours, state, and tokens /messages continues from', async () => {
    const target = sent[5]!;
    const res = await server.client.get(roomPath(roomId, `/context/${encodeURIComponent(target)}`), { token: bob.accessToken, query: { limit: '4' } });
    expect(res.status).toBe(200);
    expect(res.body.event.event_id).toBe(target);
    expect(texts(res.body.events_before)).toEqual(['m3', 'm4']);
    expect(texts(res.body.events_after)).toEqual(['m6', 'm7']);
    expect(res.body.state.some((e: ClientEventShape) => e.type === 'm.room.create')).toBe(true);
    const before = await messages(bob, { dir: 'b', from: res.body.start, limit: '2' });
    expect(texts(before.chunk)).toEqual(['m2', 'm1']);
    const after = await messages(bob, { dir: 'f', from: res.body.end, limit: '2' });
    expect(texts(after.chunk)).toEqual(['m8', 'm9']);
  });

  it('404s for unknown events and for rooms the user cannot see', async () => {
    expect((await server.client.get(roomPath(roomId, '/context/%24missing'), { token: bob.accessToken })).status).toBe(404);
    expect((await server.client.get(roomPath(roomId, `/context/${encodeURIComponent(sent[0]!)}`), { token: outsider.accessToken })).status).toBe(404);
  });
});

describe('timestamp_to_event', () => {
  it('finds the closest event in either direction', async () => {
    const url = `/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/timestamp_to_event`;
    const forward = await server.client.get(url, { token: alice.accessToken, query: { ts: String(midTs), dir: 'f' } });
    expect(forward.status).toBe(200);
    expect(forward.body.event_id).toBe(sent[6]);
    const backward = await server.client.get(url, { token: alice.accessToken, query: { ts: String(midTs), dir: 'b' } });
    expect(backward.body.event_id).toBe(sent[5]);
    const none = await server.client.get(url, { token: alice.accessToken, query: { ts: String(Date.now() + 60_000), dir: 'f' } });
    expect(none.status).toBe(404);
    expect((await server.client.get(url, { token: alice.accessToken, query: { ts: 'now', dir: 'f' } })).status).toBe(400);
  });
});
