// Event relationships (relations.yaml, threads_list.yaml and "Aggregations of child events"):
// threads, edits, references, /relations pagination and filters, bundled aggregations on every
// read path, redaction and history visibility. Every response is checked against the spec schema.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS } from '../support/client.js';
import { makeTempDir, startTestServer, undoMigration, type TestServer } from '../support/server.js';
import { RoomClient, enc, expectError, newUser } from './helpers.js';

const V1 = '/_matrix/client/v1';

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

async function sendOk(who: RoomClient, roomId: string, content: Record<string, unknown>, type = 'm.room.message'): Promise<string> {
  const res = await who.send(roomId, content, type);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.event_id as string;
}

function threadReply(rootId: string, body: string): Record<string, unknown> {
  return { msgtype: 'm.text', body, 'm.relates_to': { rel_type: 'm.thread', event_id: rootId, is_falling_back: true, 'm.in_reply_to': { event_id: rootId } } };
}

function edit(originalId: string, body: string): Record<string, unknown> {
  return {
    msgtype: 'm.text',
    body: `* ${body}`,
    'm.new_content': { msgtype: 'm.text', body },
    'm.relates_to': { rel_type: 'm.replace', event_id: originalId },
  };
}

function relations(who: RoomClient, roomId: string, eventId: string, rest = '', query: Record<string, string> = {}) {
  return who.client.get(`${V1}/rooms/${enc(roomId)}/relations/${enc(eventId)}${rest}`, { token: who.session.accessToken, query });
}

function threads(who: RoomClient, roomId: string, query: Record<string, string> = {}) {
  return who.client.get(`${V1}/rooms/${enc(roomId)}/threads`, { token: who.session.accessToken, query });
}

async function publicRoom(): Promise<string> {
  const roomId = await alice.createRoomOk({ preset: 'public_chat' });
  expect((await bob.joinById(roomId)).status).toBe(200);
  return roomId;
}

describe('threads', () => {
  it('lists replies under the root and aggregates m.thread on /event, /messages and /sync', async () => {
    const roomId = await publicRoom();
    const root = await alice.sendOk(roomId, 'thread root');
    const r1 = await sendOk(bob, roomId, threadReply(root, 'first reply'));
    const r2 = await sendOk(bob, roomId, threadReply(root, 'second reply'));

    const rel = await relations(alice, roomId, root, '/m.thread');
    expect(rel.status).toBe(200);
    expect(rel.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([r2, r1]);
    expect(rel.body.next_batch).toBeUndefined();
    expect(rel.body.recursion_depth).toBeUndefined();

    // Bob replied, Alice sent the root: both participated; Carol (joined now) did not.
    expect((await carol.joinById(roomId)).status).toBe(200);
    for (const [who, participated] of [
      [alice, true],
      [bob, true],
      [carol, false],
    ] as const) {
      const ev = await who.event(roomId, root);
      expect(ev.status).toBe(200);
      const thread = ev.body.unsigned['m.relations']['m.thread'];
      expect(thread.count).toBe(2);
      expect(thread.current_user_participated).toBe(participated);
      expect(thread.latest_event).toMatchObject({ event_id: r2, sender: bob.userId, content: { body: 'second reply' } });
    }

    const messages = await alice.client.get(`${CS}/rooms/${enc(roomId)}/messages`, { token: alice.session.accessToken, query: { dir: 'b', limit: '10' } });
    const rootInMessages = messages.body.chunk.find((e: { event_id: string }) => e.event_id === root);
    expect(rootInMessages.unsigned['m.relations']['m.thread']).toMatchObject({ count: 2, latest_event: { event_id: r2 } });
    // A reply is no thread root and gets no m.thread of its own.
    const replyInMessages = messages.body.chunk.find((e: { event_id: string }) => e.event_id === r1);
    expect(replyInMessages.unsigned['m.relations']).toBeUndefined();

    const synced = await alice.client.get(`${CS}/sync`, { token: alice.session.accessToken });
    const timeline = synced.body.rooms.join[roomId].timeline.events as { event_id: string; unsigned: Record<string, unknown> }[];
    const rootInSync = timeline.find((e) => e.event_id === root)!;
    expect(rootInSync.unsigned['m.relations']).toMatchObject({ 'm.thread': { count: 2, current_user_participated: true, latest_event: { event_id: r2 } } });
  });

  it('/threads lists roots by latest activity, paginates, and filters include=participated', async () => {
    const roomId = await publicRoom();
    const a = await alice.sendOk(roomId, 'thread A');
    const b = await bob.sendOk(roomId, 'thread B');
    const c = await bob.sendOk(roomId, 'thread C');
    await sendOk(bob, roomId, threadReply(a, 'a1'));
    await sendOk(bob, roomId, threadReply(b, 'b1'));
    await sendOk(bob, roomId, threadReply(c, 'c1'));
    // A reply to A makes it the most recently active thread.
    await sendOk(bob, roomId, threadReply(a, 'a2'));
    await alice.sendOk(roomId, 'not a thread');

    const all = await threads(alice, roomId);
    expect(all.status).toBe(200);
    expect(all.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([a, c, b]);
    expect(all.body.chunk[0].unsigned['m.relations']['m.thread'].count).toBe(2);
    expect(all.body.next_batch).toBeUndefined();

    const page1 = await threads(alice, roomId, { limit: '2' });
    expect(page1.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([a, c]);
    const page2 = await threads(alice, roomId, { limit: '2', from: page1.body.next_batch as string });
    expect(page2.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([b]);
    expect(page2.body.next_batch).toBeUndefined();

    // Alice sent root A only; Carol replies in B and so participates there.
    expect((await carol.joinById(roomId)).status).toBe(200);
    await sendOk(carol, roomId, threadReply(b, 'carol in b'));
    const aliceOnly = await threads(alice, roomId, { include: 'participated' });
    expect(aliceOnly.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([a]);
    const carolOnly = await threads(carol, roomId, { include: 'participated' });
    expect(carolOnly.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([b]);
  });

  it('/threads: bad parameters are 400, strangers to a private room 403', async () => {
    const roomId = await alice.createRoomOk({ preset: 'private_chat' });
    expectError(await threads(alice, roomId, { include: 'some' }), 400, 'M_INVALID_PARAM');
    expectError(await threads(alice, roomId, { limit: '0' }), 400, 'M_INVALID_PARAM');
    expectError(await threads(alice, roomId, { from: 'garbage' }), 400, 'M_INVALID_PARAM');
    expectError(await threads(carol, roomId), 403, 'M_FORBIDDEN');
  });
});

describe('edits', () => {
  it('m.replace bundles the latest edit by the original sender; edits by others are ignored', async () => {
    const roomId = await publicRoom();
    const original = await alice.sendOk(roomId, 'helo');
    const first = await sendOk(alice, roomId, edit(original, 'hello'));
    // "Most recent" goes by origin_server_ts: keep the edits apart on the server's clock.
    server.clock.advance(1000);
    const second = await sendOk(alice, roomId, edit(original, 'hello!'));
    server.clock.advance(1000);
    // Bob may not edit Alice's message, even if his edit is the newest.
    const forged = await sendOk(bob, roomId, edit(original, 'bob was here'));

    const ev = await bob.event(roomId, original);
    const replace = ev.body.unsigned['m.relations']['m.replace'];
    expect(replace).toMatchObject({ event_id: second, sender: alice.userId, type: 'm.room.message', content: { 'm.new_content': { body: 'hello!' } } });
    // The original content is served unchanged (spec v1.7).
    expect(ev.body.content.body).toBe('helo');

    // The edits themselves carry no aggregations; /relations lists every edit, the forged one too.
    const rel = await relations(alice, roomId, original, '/m.replace');
    expect(rel.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([forged, second, first]);
    expect(rel.body.chunk.every((e: { unsigned: Record<string, unknown> }) => e.unsigned['m.relations'] === undefined)).toBe(true);
  });

  it('an edit of a different type, or without m.new_content, does not count', async () => {
    const roomId = await publicRoom();
    const original = await alice.sendOk(roomId, 'base');
    await sendOk(alice, roomId, { ...edit(original, 'typed'), msgtype: 'm.notice' }, 'org.example.other');
    await sendOk(alice, roomId, { msgtype: 'm.text', body: 'no new content', 'm.relates_to': { rel_type: 'm.replace', event_id: original } });
    const ev = await alice.event(roomId, original);
    expect(ev.body.unsigned['m.relations']).toBeUndefined();
  });

  it('a redacted original bundles no edit', async () => {
    const roomId = await publicRoom();
    const original = await alice.sendOk(roomId, 'secret');
    await sendOk(alice, roomId, edit(original, 'still secret'));
    expect((await alice.redact(roomId, original)).status).toBe(200);
    const ev = await bob.event(roomId, original);
    expect(ev.body.content).toEqual({});
    expect(ev.body.unsigned['m.relations']).toBeUndefined();
  });
});

describe('references', () => {
  it('m.reference bundles the referencing event IDs in order', async () => {
    const roomId = await publicRoom();
    const target = await alice.sendOk(roomId, 'poll-ish');
    const ref = (id: string) => ({ msgtype: 'm.text', body: 'ref', 'm.relates_to': { rel_type: 'm.reference', event_id: id } });
    const r1 = await sendOk(bob, roomId, ref(target), 'org.example.response');
    const r2 = await sendOk(alice, roomId, ref(target), 'org.example.response');
    const ev = await bob.event(roomId, target);
    expect(ev.body.unsigned['m.relations']).toEqual({ 'm.reference': { chunk: [{ event_id: r1 }, { event_id: r2 }] } });
  });
});

describe('/relations', () => {
  it('filters by relType and eventType', async () => {
    const roomId = await publicRoom();
    const parent = await alice.sendOk(roomId, 'parent');
    const t1 = await sendOk(bob, roomId, threadReply(parent, 't1'));
    const ann = await sendOk(bob, roomId, { 'm.relates_to': { rel_type: 'm.annotation', event_id: parent, key: '👍' } }, 'm.reaction');
    const custom = await sendOk(bob, roomId, { 'm.relates_to': { rel_type: 'org.example.rel', event_id: parent } }, 'org.example.thing');
    const t2 = await sendOk(bob, roomId, threadReply(parent, 't2'), 'org.example.thing');

    const ids = (res: { body: { chunk: { event_id: string }[] } }) => res.body.chunk.map((e) => e.event_id);
    expect(ids(await relations(alice, roomId, parent))).toEqual([t2, custom, ann, t1]);
    expect(ids(await relations(alice, roomId, parent, '/m.annotation'))).toEqual([ann]);
    expect(ids(await relations(alice, roomId, parent, '/m.thread'))).toEqual([t2, t1]);
    expect(ids(await relations(alice, roomId, parent, `/m.thread/m.room.message`))).toEqual([t1]);
    expect(ids(await relations(alice, roomId, parent, `/${enc('org.example.rel')}/${enc('org.example.thing')}`))).toEqual([custom]);
    expect(ids(await relations(alice, roomId, parent, '/m.thread/m.reaction'))).toEqual([]);
  });

  it('paginates backwards and forwards without repeats, and honours `to`', async () => {
    const roomId = await publicRoom();
    const root = await alice.sendOk(roomId, 'long thread');
    const replies: string[] = [];
    for (let i = 0; i < 7; i++) replies.push(await sendOk(i % 2 ? alice : bob, roomId, threadReply(root, `reply ${i}`)));
    // Unrelated traffic in between must not disturb the pages.
    await bob.sendOk(roomId, 'chatter');

    const backwards: string[] = [];
    let from: string | undefined;
    let pages = 0;
    do {
      const res = await relations(alice, roomId, root, '/m.thread', { limit: '3', ...(from ? { from } : {}) });
      expect(res.status).toBe(200);
      if (from) expect(res.body.prev_batch).toBe(from);
      else expect(res.body.prev_batch).toBeUndefined();
      backwards.push(...res.body.chunk.map((e: { event_id: string }) => e.event_id));
      from = res.body.next_batch as string | undefined;
      pages++;
    } while (from !== undefined && pages < 10);
    expect(pages).toBe(3);
    expect(backwards).toEqual([...replies].reverse());

    const forwards: string[] = [];
    from = undefined;
    pages = 0;
    do {
      const res = await relations(alice, roomId, root, '/m.thread', { dir: 'f', limit: '3', ...(from ? { from } : {}) });
      forwards.push(...res.body.chunk.map((e: { event_id: string }) => e.event_id));
      from = res.body.next_batch as string | undefined;
      pages++;
    } while (from !== undefined && pages < 10);
    expect(forwards).toEqual(replies);

    // From the first backwards page's end to its start token: the range between them only.
    const first = await relations(alice, roomId, root, '/m.thread', { limit: '2' });
    const bounded = await relations(alice, roomId, root, '/m.thread', { dir: 'f', to: first.body.next_batch as string });
    expect(bounded.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual(replies.slice(0, 5));
  });

  it('recurse follows relations of relations', async () => {
    const roomId = await publicRoom();
    const root = await alice.sendOk(roomId, 'root');
    const reply = await sendOk(bob, roomId, threadReply(root, 'reply'));
    const replyEdit = await sendOk(bob, roomId, edit(reply, 'reply, edited'));
    const reaction = await sendOk(alice, roomId, { 'm.relates_to': { rel_type: 'm.annotation', event_id: replyEdit, key: '✅' } }, 'm.reaction');

    const direct = await relations(alice, roomId, root, '', { recurse: 'false' });
    expect(direct.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([reply]);
    expect(direct.body.recursion_depth).toBe(1);

    const deep = await relations(alice, roomId, root, '', { recurse: 'true' });
    expect(deep.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([reaction, replyEdit, reply]);
    expect(deep.body.recursion_depth).toBe(3);
    // The filters apply to what is returned, at any level.
    const edits = await relations(alice, roomId, root, '/m.replace', { recurse: 'true' });
    expect(edits.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([replyEdit]);
  });

  it('a redacted reply drops out of /relations and of the thread summary', async () => {
    const roomId = await publicRoom();
    const root = await alice.sendOk(roomId, 'root');
    const keep = await sendOk(bob, roomId, threadReply(root, 'keep'));
    const gone = await sendOk(bob, roomId, threadReply(root, 'regret'));
    expect((await bob.redact(roomId, gone)).status).toBe(200);

    const rel = await relations(alice, roomId, root, '/m.thread');
    expect(rel.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([keep]);
    const thread = (await alice.event(roomId, root)).body.unsigned['m.relations']['m.thread'];
    expect(thread).toMatchObject({ count: 1, latest_event: { event_id: keep } });
  });

  it('shows only what history visibility allows', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }] });
    const parent = await alice.sendOk(roomId, 'before carol');
    const early = await sendOk(alice, roomId, threadReply(parent, 'early reply'));
    expect((await carol.joinById(roomId)).status).toBe(200);
    const late = await sendOk(alice, roomId, threadReply(parent, 'late reply'));

    // Carol cannot see the parent, so not its relations either.
    expectError(await relations(carol, roomId, parent), 404, 'M_NOT_FOUND');
    // She sees a visible parent's later children but not the earlier ones.
    const visibleParent = await alice.sendOk(roomId, 'after carol');
    const seen = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'ref', 'm.relates_to': { rel_type: 'm.reference', event_id: visibleParent } });
    expect((await relations(carol, roomId, visibleParent)).body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([seen]);
    // Alice sees every reply.
    expect((await relations(alice, roomId, parent)).body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([late, early]);

    // After Carol leaves, children sent later are hidden from her, though she still sees the parent.
    expect((await carol.leave(roomId)).status).toBe(200);
    const afterLeave = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'ref 2', 'm.relates_to': { rel_type: 'm.reference', event_id: visibleParent } });
    expect((await relations(carol, roomId, visibleParent)).body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([seen]);
    expect((await relations(alice, roomId, visibleParent)).body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([afterLeave, seen]);
  });

  it('unknown events are 404 and bad parameters 400', async () => {
    const roomId = await publicRoom();
    const parent = await alice.sendOk(roomId, 'parent');
    expectError(await relations(alice, roomId, '$unknown:localhost'), 404, 'M_NOT_FOUND');
    // An event of another room is unknown here.
    const other = await alice.createRoomOk();
    expectError(await relations(alice, other, parent), 404, 'M_NOT_FOUND');
    // A stranger to a private room learns nothing about its events.
    const privateRoom = await alice.createRoomOk({ preset: 'private_chat' });
    const hidden = await alice.sendOk(privateRoom, 'private');
    expectError(await relations(carol, privateRoom, hidden), 404, 'M_NOT_FOUND');

    const bad: Record<string, string>[] = [{ dir: 'x' }, { limit: 'many' }, { limit: '-1' }, { limit: '0' }, { recurse: 'yes' }, { from: 'nonsense' }, { to: 'nonsense' }];
    for (const query of bad) {
      expectError(await relations(alice, roomId, parent, '', query), 400, 'M_INVALID_PARAM');
    }
  });
});

describe('migration', () => {
  it('indexes the relations of events stored before the index existed, redacted ones excepted', async () => {
    const dataDir = makeTempDir();
    try {
      const first = await startTestServer({ dataDir });
      const dave = await newUser(first.client, 'dave');
      const roomId = await dave.createRoomOk();
      const root = await dave.sendOk(roomId, 'root');
      const reply = await sendOk(dave, roomId, threadReply(root, 'reply'));
      const redacted = await sendOk(dave, roomId, threadReply(root, 'redacted'));
      expect((await dave.redact(roomId, redacted)).status).toBe(200);
      await first.stop();

      // The database as it was before migration 13.
      undoMigration(dataDir, 13, 'DROP TABLE event_relations;');

      const second = await startTestServer({ dataDir });
      try {
        // The access token survives the restart.
        const again = new RoomClient(second.client, dave.session);
        const rel = await relations(again, roomId, root, '/m.thread');
        expect(rel.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([reply]);
        expect((await again.event(roomId, root)).body.unsigned['m.relations']['m.thread'].count).toBe(1);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
