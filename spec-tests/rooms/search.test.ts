// Server-side search (search.yaml, client-server "Server Side Search"): POST /search over the
// full-text index, through real servers and real HTTP. Every response is checked against the
// spec schema by the test client. Each test uses its own words, so tests sharing the server do
// not see each other's messages.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, type TestResponse } from '../support/client.js';
import { makeTempDir, startTestServer, undoMigration, type TestServer } from '../support/server.js';
import { RoomClient, enc, expectError, newUser } from './helpers.js';

let server: TestServer;
let alice: RoomClient;
let bob: RoomClient;
let carol: RoomClient;
beforeAll(async () => {
  server = await startTestServer();
  alice = await newUser(server.client, 'alice');
  bob = await newUser(server.client, 'bob');
  carol = await newUser(server.client, 'carol');
});
afterAll(() => server.stop());

interface Result {
  rank: number;
  result: { event_id: string; room_id: string; sender: string; type: string; content: Record<string, unknown> };
  context?: {
    start: string;
    end: string;
    events_before: { event_id: string }[];
    events_after: { event_id: string }[];
    profile_info?: Record<string, { displayname?: string; avatar_url?: string }>;
  };
}

function search(who: RoomClient, roomEvents: Record<string, unknown>, nextBatch?: string): Promise<TestResponse> {
  return who.client.post(`${CS}/search`, { search_categories: { room_events: roomEvents } }, {
    token: who.session.accessToken,
    ...(nextBatch === undefined ? {} : { query: { next_batch: nextBatch } }),
  });
}

/** The room_events category of a successful search. */
async function searchOk(who: RoomClient, roomEvents: Record<string, unknown>, nextBatch?: string) {
  const res = await search(who, roomEvents, nextBatch);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.search_categories.room_events as {
    results: Result[];
    count: number;
    highlights: string[];
    next_batch?: string;
    state?: Record<string, { type: string; state_key: string; content: Record<string, unknown> }[]>;
    groups?: Record<string, Record<string, { results: string[]; order: number; next_batch?: string }>>;
  };
}

async function ids(who: RoomClient, roomEvents: Record<string, unknown>): Promise<string[]> {
  return (await searchOk(who, roomEvents)).results.map((r) => r.result.event_id);
}

async function sharedRoom(...members: RoomClient[]): Promise<string> {
  const roomId = await alice.createRoomOk({ preset: 'public_chat' });
  for (const m of members) expect((await m.joinById(roomId)).status).toBe(200);
  return roomId;
}

describe('matching', () => {
  it('finds messages by word, case-insensitively, with every word required', async () => {
    const roomId = await sharedRoom(bob);
    const fox = await alice.sendOk(roomId, 'The Quick brown FOX jumps');
    const thinking = await bob.sendOk(roomId, 'quick thinking saves the day');
    await alice.sendOk(roomId, 'a lazy dog sleeps');

    const quick = await searchOk(alice, { search_term: 'QUICK', order_by: 'recent' });
    expect(quick.results.map((r) => r.result.event_id)).toEqual([thinking, fox]);
    const first = quick.results[1]!;
    expect(first.result).toMatchObject({ room_id: roomId, sender: alice.userId, type: 'm.room.message', content: { body: 'The Quick brown FOX jumps' } });
    expect(typeof first.rank).toBe('number');
    expect(first.context).toBeUndefined();

    expect(await ids(alice, { search_term: 'quick fox' })).toEqual([fox]);
    expect(await ids(bob, { search_term: 'fox quick' })).toEqual([fox]);
    expect(await ids(alice, { search_term: 'fox dog' })).toEqual([]);
    // Whole words: no prefix matching.
    expect(await ids(alice, { search_term: 'qui' })).toEqual([]);
  });

  it('folds accents, so "cafe" finds "Café"', async () => {
    const roomId = await sharedRoom();
    const cafe = await alice.sendOk(roomId, 'Meet at the Café Zürich');
    expect(await ids(alice, { search_term: 'cafe zurich' })).toEqual([cafe]);
  });

  it('searches room names and topics, and only the keys asked for', async () => {
    const roomId = await alice.createRoomOk({ name: 'Aardvark Garden', topic: 'marmot discussion' });
    await alice.sendOk(roomId, 'an aardvark and a marmot walk into a bar');

    const name = await searchOk(alice, { search_term: 'aardvark', keys: ['content.name'] });
    expect(name.results.map((r) => [r.result.type, r.result.content['name']])).toEqual([['m.room.name', 'Aardvark Garden']]);
    const topic = await searchOk(alice, { search_term: 'marmot', keys: ['content.topic'] });
    expect(topic.results.map((r) => [r.result.type, r.result.content['topic']])).toEqual([['m.room.topic', 'marmot discussion']]);
    const body = await searchOk(alice, { search_term: 'marmot', keys: ['content.body'] });
    expect(body.results.map((r) => r.result.type)).toEqual(['m.room.message']);
    // Default: all three keys.
    expect((await searchOk(alice, { search_term: 'marmot' })).results.map((r) => r.result.type).sort()).toEqual(['m.room.message', 'm.room.topic']);
  });

  it('treats FTS syntax in the term as text and never fails on it', async () => {
    const roomId = await sharedRoom();
    const gate = await alice.sendOk(roomId, 'meet NEAR the AND gate (body: x) OR not');
    for (const term of ['"', '"unbalanced', '*', 'gate*', '-', '-gate', 'NEAR', 'NEAR(meet gate)', 'body:gate', 'a:b', '(', ')', '()', 'AND', 'OR', 'NOT', '^gate', '+gate', "'", '{meet gate}', '\\', '"meet" "gate"', 'meet OR zzz']) {
      const res = await search(alice, { search_term: term });
      expect(res.status, `${term}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    // Operators are words like any other; punctuation separates words.
    expect(await ids(alice, { search_term: 'NEAR' })).toEqual([gate]);
    expect(await ids(alice, { search_term: 'gate -meet' })).toEqual([gate]);
    expect(await ids(alice, { search_term: 'gate*' })).toEqual([gate]);
    expect(await ids(alice, { search_term: 'body: (gate)' })).toEqual([gate]);
    expect(await ids(alice, { search_term: '"meet gate" AND OR NOT' })).toEqual([gate]);
    expect(await ids(alice, { search_term: 'gate OR zzzunknown' })).toEqual([]);
  });

  it('answers an empty result when nothing matches or the term has no words', async () => {
    for (const term of ['nothingmatchesthisword', '***', '']) {
      const res = await searchOk(alice, { search_term: term });
      expect(res.results).toEqual([]);
      expect(res.count).toBe(0);
      expect(res.next_batch).toBeUndefined();
    }
  });
});

describe('who sees what', () => {
  it('searches only rooms the user is joined to', async () => {
    const secret = await carol.createRoomOk();
    const platypus = await carol.sendOk(secret, 'platypus secret plans');
    expect(await ids(carol, { search_term: 'platypus' })).toEqual([platypus]);
    expect(await ids(alice, { search_term: 'platypus' })).toEqual([]);
    expect((await searchOk(alice, { search_term: 'platypus' })).count).toBe(0);
    // Invited is not joined; neither is a room left.
    expect((await carol.invite(secret, bob.userId)).status).toBe(200);
    expect(await ids(bob, { search_term: 'platypus' })).toEqual([]);
    expect((await bob.joinById(secret)).status).toBe(200);
    expect(await ids(bob, { search_term: 'platypus' })).toEqual([platypus]);
    expect((await bob.leave(secret)).status).toBe(200);
    expect(await ids(bob, { search_term: 'platypus' })).toEqual([]);
    // Even when a filter names the room.
    expect(await ids(bob, { search_term: 'platypus', filter: { rooms: [secret] } })).toEqual([]);
  });

  it('hides events from before the user joined when history is "joined", not when "shared"', async () => {
    const joined = await alice.createRoomOk({
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }],
    });
    const shared = await alice.createRoomOk({ preset: 'public_chat' });
    const early = await alice.sendOk(joined, 'narwhal before bob');
    const sharedEarly = await alice.sendOk(shared, 'narwhal shared before bob');
    expect((await bob.joinById(joined)).status).toBe(200);
    expect((await bob.joinById(shared)).status).toBe(200);
    const late = await alice.sendOk(joined, 'narwhal after bob');

    expect((await ids(alice, { search_term: 'narwhal', filter: { rooms: [joined] } })).sort()).toEqual([early, late].sort());
    expect(await ids(bob, { search_term: 'narwhal', filter: { rooms: [joined] } })).toEqual([late]);
    expect(await ids(bob, { search_term: 'narwhal', filter: { rooms: [shared] } })).toEqual([sharedEarly]);
  });

  it('no longer finds a message once it is redacted', async () => {
    const roomId = await sharedRoom(bob);
    const one = await alice.sendOk(roomId, 'walrus number one');
    const two = await alice.sendOk(roomId, 'walrus number two');
    expect((await ids(bob, { search_term: 'walrus', order_by: 'recent' }))).toEqual([two, one]);
    expect((await alice.redact(roomId, one, 'oops')).status).toBe(200);
    expect(await ids(bob, { search_term: 'walrus', order_by: 'recent' })).toEqual([two]);
    expect(await ids(bob, { search_term: 'walrus one' })).toEqual([]);
    expect((await searchOk(bob, { search_term: 'walrus' })).count).toBe(1);
  });
});

describe('ordering, filters and pages', () => {
  it('orders by relevance with rank (the default) and newest first with recent', async () => {
    const roomId = await sharedRoom();
    const dense = await alice.sendOk(roomId, 'ocelot ocelot ocelot');
    const sparse = await alice.sendOk(roomId, 'one ocelot among many other words that dilute this long message');

    const ranked = await searchOk(alice, { search_term: 'ocelot' });
    expect(ranked.results.map((r) => r.result.event_id)).toEqual([dense, sparse]);
    expect(ranked.results[0]!.rank).toBeGreaterThan(ranked.results[1]!.rank);
    expect(ranked.next_batch).toBeUndefined();
    expect(await ids(alice, { search_term: 'ocelot', order_by: 'rank' })).toEqual([dense, sparse]);
    expect(await ids(alice, { search_term: 'ocelot', order_by: 'recent' })).toEqual([sparse, dense]);
  });

  it('applies the filter: rooms, not_rooms, senders, not_senders, types, not_types, limit', async () => {
    const r1 = await sharedRoom(bob);
    const r2 = await sharedRoom(bob);
    const a1 = await alice.sendOk(r1, 'quokka from alice');
    const b1 = await bob.sendOk(r1, 'quokka from bob');
    const a2 = await alice.sendOk(r2, 'quokka again from alice');
    expect((await alice.putState(r2, 'm.room.topic', '', { topic: 'all about the quokka' })).status).toBe(200);
    const topic = (await alice.getState(r2, 'm.room.topic')).body;
    expect(topic.topic).toBe('all about the quokka');
    const recent = { search_term: 'quokka', order_by: 'recent' };

    const all = await ids(alice, recent);
    expect(all).toHaveLength(4);
    expect(all.slice(1)).toEqual([a2, b1, a1]);
    expect(await ids(alice, { ...recent, filter: { rooms: [r1] } })).toEqual([b1, a1]);
    expect((await ids(alice, { ...recent, filter: { not_rooms: [r1] } })).slice(1)).toEqual([a2]);
    expect(await ids(alice, { ...recent, filter: { senders: [bob.userId] } })).toEqual([b1]);
    expect((await ids(alice, { ...recent, filter: { not_senders: [alice.userId] } }))).toEqual([b1]);
    expect(await ids(alice, { ...recent, filter: { types: ['m.room.message'], rooms: [r2] } })).toEqual([a2]);
    expect((await searchOk(alice, { ...recent, filter: { not_types: ['m.room.message'] } })).results.map((r) => r.result.type)).toEqual(['m.room.topic']);
    expect((await searchOk(alice, { ...recent, filter: { types: ['m.room.*'], not_types: ['m.room.message'] } })).results).toHaveLength(1);
    expect(await ids(alice, { ...recent, filter: { limit: 2 } })).toEqual(all.slice(0, 2));
  });

  it('pages through recent results with next_batch, without repeats or gaps', async () => {
    const roomId = await sharedRoom(bob);
    const sent: string[] = [];
    for (let i = 0; i < 25; i++) sent.push(await (i % 2 === 0 ? alice : bob).sendOk(roomId, `lemur number ${i}`));
    // Hidden from the filter: pages skip them without coming back short.
    await alice.sendOk(roomId, 'lemur noise');

    const seen: string[] = [];
    let token: string | undefined;
    const sizes: number[] = [];
    do {
      const page = await searchOk(bob, { search_term: 'lemur number', order_by: 'recent', filter: { limit: 10 } }, token);
      sizes.push(page.results.length);
      seen.push(...page.results.map((r) => r.result.event_id));
      expect(page.count).toBe(25);
      token = page.next_batch;
    } while (token !== undefined && sizes.length < 10);
    expect(sizes).toEqual([10, 10, 5]);
    expect(seen).toEqual([...sent].reverse());
  });

  it('rejects a malformed next_batch', async () => {
    for (const token of ['not base64!', 'abc', Buffer.from('all\n\nxyz').toString('base64url')]) {
      expectError(await search(alice, { search_term: 'lemur', order_by: 'recent' }, token), 400, 'M_INVALID_PARAM');
    }
  });
});

describe('what comes with the results', () => {
  it('gives count and the search words as highlights', async () => {
    const roomId = await sharedRoom();
    await alice.sendOk(roomId, 'Jaguar speed');
    await alice.sendOk(roomId, 'jaguar SPEED record');
    await alice.sendOk(roomId, 'only a jaguar');
    const res = await searchOk(alice, { search_term: 'JAGUAR  Speed jaguar', filter: { limit: 1 } });
    expect(res.count).toBe(2);
    expect(res.results).toHaveLength(1);
    expect(res.highlights).toEqual(['jaguar', 'speed']);
  });

  it('includes event context with tokens and historic profiles', async () => {
    const dave = await newUser(server.client, 'dave');
    expect((await dave.request('PUT', `${CS}/profile/${enc(dave.userId)}/displayname`, { displayname: 'Dave D' })).status).toBe(200);
    const roomId = await sharedRoom(dave);
    const m1 = await alice.sendOk(roomId, 'context one');
    const m2 = await dave.sendOk(roomId, 'context two');
    const target = await alice.sendOk(roomId, 'gecko target');
    const m4 = await dave.sendOk(roomId, 'context four');
    await alice.sendOk(roomId, 'context five');

    const res = await searchOk(alice, { search_term: 'gecko', event_context: { before_limit: 2, after_limit: 1, include_profile: true } });
    expect(res.results).toHaveLength(1);
    const ctx = res.results[0]!.context!;
    expect(res.results[0]!.result.event_id).toBe(target);
    // Nearest first on both sides (Synapse's order, which matrix-js-sdk expects).
    expect(ctx.events_before.map((e) => e.event_id)).toEqual([m2, m1]);
    expect(ctx.events_after.map((e) => e.event_id)).toEqual([m4]);
    expect(ctx.profile_info?.[dave.userId]).toEqual({ displayname: 'Dave D' });
    expect(ctx.profile_info?.[alice.userId]?.displayname).toBe('alice');

    // The tokens continue with /messages.
    const older = await alice.client.get(`${CS}/rooms/${enc(roomId)}/messages`, { token: alice.session.accessToken, query: { from: ctx.start, dir: 'b', limit: '1' } });
    expect(older.status).toBe(200);
    expect(older.body.chunk[0].event_id).not.toBe(m1);
    expect(older.body.chunk[0].type).toBe('m.room.member');
    const newer = await alice.client.get(`${CS}/rooms/${enc(roomId)}/messages`, { token: alice.session.accessToken, query: { from: ctx.end, dir: 'f', limit: '1' } });
    expect(newer.body.chunk[0].content.body).toBe('context five');

    // Defaults: five each side, no profiles.
    const defaults = await searchOk(alice, { search_term: 'gecko', event_context: {} });
    expect(defaults.results[0]!.context!.events_before).toHaveLength(5);
    expect(defaults.results[0]!.context!.events_after).toHaveLength(2);
    expect(defaults.results[0]!.context!.profile_info).toBeUndefined();
  });

  it('includes the current state of the rooms with results', async () => {
    const roomId = await alice.createRoomOk({ name: 'Tapir Lounge' });
    await alice.sendOk(roomId, 'tapir sighting');
    const res = await searchOk(alice, { search_term: 'tapir sighting', include_state: true });
    expect(Object.keys(res.state ?? {})).toEqual([roomId]);
    const types = res.state![roomId]!.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['m.room.create', 'm.room.member', 'm.room.power_levels', 'm.room.name']));
    expect(res.state![roomId]!.find((e) => e.type === 'm.room.name')?.content).toEqual({ name: 'Tapir Lounge' });
    expect((await searchOk(alice, { search_term: 'tapir sighting' })).state).toBeUndefined();
  });

  it('groups results by room and by sender, and pages within a room group', async () => {
    const r1 = await sharedRoom(bob);
    const r2 = await sharedRoom(bob);
    const x1 = await alice.sendOk(r1, 'bison one');
    const x2 = await bob.sendOk(r2, 'bison two');
    const x3 = await bob.sendOk(r1, 'bison three');
    const x4 = await alice.sendOk(r2, 'bison four');
    const grouped = { search_term: 'bison', order_by: 'recent', groupings: { group_by: [{ key: 'room_id' }, { key: 'sender' }] } };

    const all = await searchOk(alice, grouped);
    expect(all.results.map((r) => r.result.event_id)).toEqual([x4, x3, x2, x1]);
    expect(all.groups?.['room_id']).toEqual({ [r2]: { results: [x4, x2], order: 1 }, [r1]: { results: [x3, x1], order: 2 } });
    expect(all.groups?.['sender']).toEqual({ [alice.userId]: { results: [x4, x1], order: 1 }, [bob.userId]: { results: [x3, x2], order: 2 } });

    // A first page of one: each group gets a token that pages within it.
    const first = await searchOk(alice, { ...grouped, filter: { limit: 1 } });
    expect(first.results.map((r) => r.result.event_id)).toEqual([x4]);
    const roomToken = first.groups?.['room_id']?.[r2]?.next_batch;
    expect(roomToken).toBeDefined();
    const inRoom = await searchOk(alice, { ...grouped, filter: { limit: 5 } }, roomToken);
    expect(inRoom.results.map((r) => r.result.event_id)).toEqual([x2]);
    const senderToken = first.groups?.['sender']?.[alice.userId]?.next_batch;
    expect(await searchOk(alice, { ...grouped, filter: { limit: 5 } }, senderToken).then((p) => p.results.map((r) => r.result.event_id))).toEqual([x1]);
    // The overall token continues the overall list.
    expect((await searchOk(alice, { ...grouped, filter: { limit: 5 } }, first.next_batch)).results.map((r) => r.result.event_id)).toEqual([x3, x2, x1]);

    // rank: groups too, without tokens.
    const ranked = await searchOk(alice, { ...grouped, order_by: 'rank' });
    expect(Object.keys(ranked.groups?.['room_id'] ?? {}).sort()).toEqual([r1, r2].sort());
    expect(ranked.groups?.['room_id']?.[r1]?.next_batch).toBeUndefined();
  });
});

describe('requests', () => {
  it('rejects malformed criteria with the spec error codes', async () => {
    expectError(await search(alice, { search_term: 42 }), 400, 'M_BAD_JSON');
    expectError(await search(alice, { search_term: 'x', order_by: 'oldest' }), 400, 'M_INVALID_PARAM');
    expectError(await search(alice, { search_term: 'x', keys: ['content.secret'] }), 400, 'M_INVALID_PARAM');
    expectError(await search(alice, { search_term: 'x', groupings: { group_by: [{ key: 'type' }] } }), 400, 'M_INVALID_PARAM');
    expectError(await search(alice, { search_term: 'x', filter: 'not an object' }), 400, 'M_BAD_JSON');
    expectError(await search(alice, { search_term: 'word '.repeat(300) }), 400, 'M_INVALID_PARAM');
    const noCategories = await alice.client.post(`${CS}/search`, {}, { token: alice.session.accessToken });
    expect(noCategories.status).toBe(400);
    expect(noCategories.body.errcode).toMatch(/^M_(BAD_JSON|MISSING_PARAM)$/);
  });

  it('ignores categories it does not search', async () => {
    const res = await alice.client.post(`${CS}/search`, { search_categories: { files: { search_term: 'x' } } }, { token: alice.session.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ search_categories: {} });
  });

  it('requires an access token', async () => {
    const res = await server.client.post(`${CS}/search`, { search_categories: { room_events: { search_term: 'x' } } });
    expectError(res, 401, 'M_MISSING_TOKEN');
  });
});

describe('migration', () => {
  it('indexes events stored before the index existed, redacted ones excepted', async () => {
    const dataDir = makeTempDir();
    try {
      const first = await startTestServer({ dataDir });
      const erin = await newUser(first.client, 'erin');
      const roomId = await erin.createRoomOk({ name: 'Heron Club', topic: 'heron watching' });
      const kept = await erin.sendOk(roomId, 'heron spotted');
      const redacted = await erin.sendOk(roomId, 'heron mistaken');
      expect((await erin.redact(roomId, redacted)).status).toBe(200);
      await first.stop();

      // The database as it was before migration 15.
      undoMigration(dataDir, 15, 'DROP TABLE event_search;');

      const second = await startTestServer({ dataDir });
      try {
        const again = new RoomClient(second.client, erin.session);
        const res = await searchOk(again, { search_term: 'heron', order_by: 'recent' });
        expect(res.results.map((r) => [r.result.type, r.result.event_id === kept])).toEqual([
          ['m.room.message', true],
          ['m.room.topic', false],
          ['m.room.name', false],
        ]);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
