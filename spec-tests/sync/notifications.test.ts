// Push notifications end to end: unread counts in /sync, push rules written through the API,
// /notifications and pushers, all through real HTTP against a real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, login, registerUser, type Session } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createRoom, join, roomPath, send, sync } from './helpers.js';

let server: TestServer;
let ada: Session;
let bo: Session;
let cy: Session;
let txn = 0;

beforeAll(async () => {
  server = await startTestServer();
  ada = await registerUser(server.client, 'ada', 'pw');
  bo = await registerUser(server.client, 'bo', 'pw');
  cy = await registerUser(server.client, 'cy', 'pw');
});
afterAll(() => server.stop());

/** A room of ada, bo and cy (three members: the one-to-one rules stay out of it). */
async function groupRoom(): Promise<string> {
  const roomId = await createRoom(server.client, ada, { preset: 'public_chat' });
  await join(server.client, bo, roomId);
  await join(server.client, cy, roomId);
  return roomId;
}

async function sendContent(s: Session, roomId: string, content: Record<string, unknown>, type = 'm.room.message'): Promise<string> {
  const res = await server.client.put(roomPath(roomId, `/send/${encodeURIComponent(type)}/n${++txn}`), content, { token: s.accessToken });
  expect(res.status).toBe(200);
  return res.body.event_id as string;
}

interface Counts {
  notification_count: number;
  highlight_count: number;
}

async function counts(s: Session, roomId: string): Promise<Counts> {
  const res = await sync(server.client, s);
  return res.body.rooms.join[roomId].unread_notifications as Counts;
}

async function receipt(s: Session, roomId: string, eventId: string, type = 'm.read'): Promise<void> {
  const res = await server.client.post(roomPath(roomId, `/receipt/${type}/${encodeURIComponent(eventId)}`), {}, { token: s.accessToken });
  expect(res.status).toBe(200);
}

const rulePath = (kind: string, ruleId: string, rest = '') => `${CS}/pushrules/global/${kind}/${encodeURIComponent(ruleId)}${rest}`;

describe('unread counts in /sync', () => {
  it("a message counts for the other members, never for its sender", async () => {
    const roomId = await groupRoom();
    expect(await counts(bo, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
    await send(server.client, ada, roomId, 'hello all');
    await send(server.client, ada, roomId, 'second');
    expect(await counts(bo, roomId)).toEqual({ notification_count: 2, highlight_count: 0 });
    expect(await counts(cy, roomId)).toEqual({ notification_count: 2, highlight_count: 0 });
    expect(await counts(ada, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
  });

  it('a mention in m.mentions or of the display name highlights', async () => {
    const roomId = await groupRoom();
    await sendContent(ada, roomId, { msgtype: 'm.text', body: 'look at this', 'm.mentions': { user_ids: [bo.userId] } });
    expect(await counts(bo, roomId)).toEqual({ notification_count: 1, highlight_count: 1 });
    expect(await counts(cy, roomId)).toEqual({ notification_count: 1, highlight_count: 0 });

    const named = await server.client.put(`${CS}/profile/${encodeURIComponent(cy.userId)}/displayname`, { displayname: 'Captain Cy' }, { token: cy.accessToken });
    expect(named.status).toBe(200);
    // An older client: no m.mentions, the display name in the body.
    await sendContent(ada, roomId, { msgtype: 'm.text', body: 'over to you, captain cy!' });
    expect(await counts(cy, roomId)).toEqual({ notification_count: 2, highlight_count: 1 });
    // With m.mentions the body is not searched for names.
    await sendContent(ada, roomId, { msgtype: 'm.text', body: 'Captain Cy again', 'm.mentions': {} });
    expect(await counts(cy, roomId)).toEqual({ notification_count: 3, highlight_count: 1 });
  });

  it('notices and reactions do not count', async () => {
    const roomId = await groupRoom();
    const target = await send(server.client, ada, roomId, 'one');
    await sendContent(ada, roomId, { msgtype: 'm.notice', body: 'bot output' });
    await sendContent(ada, roomId, { 'm.relates_to': { rel_type: 'm.annotation', event_id: target, key: '👍' } }, 'm.reaction');
    expect(await counts(bo, roomId)).toEqual({ notification_count: 1, highlight_count: 0 });
  });

  it('a read receipt resets the counts, and the room comes back in an incremental sync', async () => {
    const roomId = await groupRoom();
    await sendContent(ada, roomId, { msgtype: 'm.text', body: 'hi', 'm.mentions': { user_ids: [bo.userId] } });
    const last = await send(server.client, ada, roomId, 'more');
    const before = await sync(server.client, bo);
    expect(before.body.rooms.join[roomId].unread_notifications).toEqual({ notification_count: 2, highlight_count: 1 });

    await receipt(bo, roomId, last);
    const after = await sync(server.client, bo, { since: before.body.next_batch });
    expect(after.body.rooms.join[roomId].unread_notifications).toEqual({ notification_count: 0, highlight_count: 0 });

    // Later messages count again from the receipt on; a private receipt clears them too.
    const third = await send(server.client, ada, roomId, 'third');
    expect(await counts(bo, roomId)).toEqual({ notification_count: 1, highlight_count: 0 });
    const mid = await sync(server.client, bo);
    await receipt(bo, roomId, third, 'm.read.private');
    const cleared = await sync(server.client, bo, { since: mid.body.next_batch });
    expect(cleared.body.rooms.join[roomId].unread_notifications).toEqual({ notification_count: 0, highlight_count: 0 });
  });

  it('a receipt in the middle leaves what follows it unread; a thread receipt settles nothing', async () => {
    const roomId = await groupRoom();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const mention = i === 1 || i === 3 ? { 'm.mentions': { user_ids: [cy.userId] } } : {};
      ids.push(await sendContent(ada, roomId, { msgtype: 'm.text', body: `m${i}`, ...mention }));
    }
    expect(await counts(cy, roomId)).toEqual({ notification_count: 5, highlight_count: 2 });
    // Read up to the second message (a highlight): three left, one of them a highlight.
    await receipt(cy, roomId, ids[1]!);
    expect(await counts(cy, roomId)).toEqual({ notification_count: 3, highlight_count: 1 });
    // A receipt for an older event does not move the read point back.
    await receipt(cy, roomId, ids[0]!, 'm.read.private');
    expect(await counts(cy, roomId)).toEqual({ notification_count: 3, highlight_count: 1 });
    // A receipt in a thread is not a receipt for the room.
    const threaded = await server.client.post(roomPath(roomId, `/receipt/m.read/${encodeURIComponent(ids[4]!)}`), { thread_id: ids[0]! }, { token: cy.accessToken });
    expect(threaded.status).toBe(200);
    expect(await counts(cy, roomId)).toEqual({ notification_count: 3, highlight_count: 1 });
    await sendContent(ada, roomId, { msgtype: 'm.text', body: 'later' });
    expect(await counts(cy, roomId)).toEqual({ notification_count: 4, highlight_count: 1 });
    await receipt(cy, roomId, ids[4]!);
    expect(await counts(cy, roomId)).toEqual({ notification_count: 1, highlight_count: 0 });
  });

  it('a filter can leave the counts out (Lattice extension, used by the lean CoAP filter)', async () => {
    const roomId = await groupRoom();
    await send(server.client, ada, roomId, 'counted');
    const without = await sync(server.client, bo, { filter: { room: { 'org.lattice.unread_notifications': false } } });
    expect(without.body.rooms.join[roomId].timeline).toBeDefined();
    expect(without.body.rooms.join[roomId].unread_notifications).toBeUndefined();
    expect(await counts(bo, roomId)).toEqual({ notification_count: 1, highlight_count: 0 });
  });

  it('joins notify nobody on the default rules, but do notify a user whose own rule asks for them', async () => {
    const roomId = await groupRoom();
    const watcher = await registerUser(server.client, 'watcher', 'pw');
    await join(server.client, watcher, roomId);
    const put = await server.client.put(
      rulePath('override', 'joins'),
      { conditions: [{ kind: 'event_match', key: 'content.membership', pattern: 'join' }], actions: ['notify'] },
      { token: watcher.accessToken },
    );
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const newcomer = await registerUser(server.client, 'newcomer', 'pw');
    await join(server.client, newcomer, roomId);
    expect(await counts(watcher, roomId)).toEqual({ notification_count: 1, highlight_count: 0 });
    expect(await counts(cy, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
  });

  it("one's own messages never count, even with a mention of oneself", async () => {
    const roomId = await groupRoom();
    await sendContent(bo, roomId, { msgtype: 'm.text', body: 'note to self bo', 'm.mentions': { user_ids: [bo.userId] } });
    expect(await counts(bo, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
  });
});

describe('user push rules change what counts', () => {
  it('a room rule with no actions (or dont_notify) mutes the room; deleting it unmutes', async () => {
    const roomId = await groupRoom();
    expect((await server.client.put(rulePath('room', roomId), { actions: [] }, { token: bo.accessToken })).status).toBe(200);
    expect((await server.client.put(rulePath('room', roomId), { actions: ['dont_notify'] }, { token: cy.accessToken })).status).toBe(200);
    await send(server.client, ada, roomId, 'quiet please');
    expect(await counts(bo, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
    expect(await counts(cy, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });

    expect((await server.client.delete(rulePath('room', roomId), undefined, { token: bo.accessToken })).status).toBe(200);
    await send(server.client, ada, roomId, 'loud again');
    expect(await counts(bo, roomId)).toEqual({ notification_count: 1, highlight_count: 0 });
    expect(await counts(cy, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
    await server.client.delete(rulePath('room', roomId), undefined, { token: cy.accessToken });
  });

  it('disabling .m.rule.message stops plain messages; mentions still highlight', async () => {
    const roomId = await groupRoom();
    const disable = await server.client.put(rulePath('underride', '.m.rule.message', '/enabled'), { enabled: false }, { token: bo.accessToken });
    expect(disable.status).toBe(200);
    const enabled = await server.client.get(rulePath('underride', '.m.rule.message', '/enabled'), { token: bo.accessToken });
    expect(enabled.body).toEqual({ enabled: false });
    await send(server.client, ada, roomId, 'plain');
    await sendContent(ada, roomId, { msgtype: 'm.text', body: 'hey', 'm.mentions': { user_ids: [bo.userId] } });
    expect(await counts(bo, roomId)).toEqual({ notification_count: 1, highlight_count: 1 });
    await server.client.put(rulePath('underride', '.m.rule.message', '/enabled'), { enabled: true }, { token: bo.accessToken });
    await send(server.client, ada, roomId, 'plain again');
    expect(await counts(bo, roomId)).toEqual({ notification_count: 2, highlight_count: 1 });
  });

  it('changing the actions of a default rule: highlighting every message', async () => {
    const roomId = await groupRoom();
    const actions = ['notify', { set_tweak: 'highlight' }];
    expect((await server.client.put(rulePath('underride', '.m.rule.message', '/actions'), { actions }, { token: cy.accessToken })).status).toBe(200);
    expect((await server.client.get(rulePath('underride', '.m.rule.message', '/actions'), { token: cy.accessToken })).body).toEqual({ actions });
    await send(server.client, ada, roomId, 'important');
    expect(await counts(cy, roomId)).toEqual({ notification_count: 1, highlight_count: 1 });
    await server.client.put(rulePath('underride', '.m.rule.message', '/actions'), { actions: ['notify'] }, { token: cy.accessToken });
  });
});

describe('PUT and DELETE push rules', () => {
  let user: Session;
  beforeAll(async () => {
    user = await registerUser(server.client, 'rules', 'pw');
  });
  const ids = async (kind: string): Promise<string[]> => {
    const res = await server.client.get(`${CS}/pushrules/global/`, { token: user.accessToken });
    return (res.body[kind] as { rule_id: string; default: boolean }[]).filter((r) => !r.default).map((r) => r.rule_id);
  };
  const put = (kind: string, id: string, body: unknown, query?: Record<string, string>) =>
    server.client.put(rulePath(kind, id), body, { token: user.accessToken, ...(query ? { query } : {}) });

  it('adds new rules first, and places them before/after others', async () => {
    const cond = { conditions: [{ kind: 'event_match', key: 'content.body', pattern: 'x' }], actions: ['notify'] };
    expect((await put('override', 'a', cond)).status).toBe(200);
    expect((await put('override', 'b', cond)).status).toBe(200);
    expect(await ids('override')).toEqual(['b', 'a']);
    expect((await put('override', 'c', cond, { after: 'a' })).status).toBe(200);
    expect(await ids('override')).toEqual(['b', 'a', 'c']);
    expect((await put('override', 'd', cond, { before: 'a' })).status).toBe(200);
    expect(await ids('override')).toEqual(['b', 'd', 'a', 'c']);
    // Moving an existing rule; with both, `before` decides.
    expect((await put('override', 'b', cond, { before: 'c', after: 'd' })).status).toBe(200);
    expect(await ids('override')).toEqual(['d', 'a', 'b', 'c']);
    // Master stays first; the user's rules come before the other defaults.
    const all = await server.client.get(`${CS}/pushrules/`, { token: user.accessToken });
    expect(all.body.global.override.slice(0, 3).map((r: { rule_id: string }) => r.rule_id)).toEqual(['.m.rule.master', 'd', 'a']);
  });

  it('reads one rule back, with its pattern for content rules', async () => {
    expect((await put('content', 'cake', { pattern: 'cake*lie', actions: ['notify'] })).status).toBe(200);
    const got = await server.client.get(rulePath('content', 'cake'), { token: user.accessToken });
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ rule_id: 'cake', default: false, enabled: true, pattern: 'cake*lie', actions: ['notify'] });
    const dflt = await server.client.get(rulePath('override', '.m.rule.master'), { token: user.accessToken });
    expect(dflt.body).toMatchObject({ rule_id: '.m.rule.master', default: true, enabled: false });
  });

  it('keeps a replaced rule disabled when it was', async () => {
    await put('sender', '@spam:localhost', { actions: [] });
    await server.client.put(rulePath('sender', '@spam:localhost', '/enabled'), { enabled: false }, { token: user.accessToken });
    await put('sender', '@spam:localhost', { actions: ['dont_notify'] });
    const got = await server.client.get(rulePath('sender', '@spam:localhost'), { token: user.accessToken });
    expect(got.body).toEqual({ rule_id: '@spam:localhost', default: false, enabled: false, actions: ['dont_notify'] });
  });

  it('refuses reserved and malformed rules with the spec errors', async () => {
    const dot = await put('override', '.m.rule.mine', { actions: [] });
    expect([dot.status, dot.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    const slash = await put('override', 'a/b', { actions: [] });
    expect([slash.status, slash.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    const anchor = await put('override', 'e', { actions: [] }, { before: 'nope' });
    expect([anchor.status, anchor.body.errcode]).toEqual([400, 'M_UNKNOWN']);
    const defaultAnchor = await put('override', 'e', { actions: [] }, { after: '.m.rule.master' });
    expect(defaultAnchor.status).toBe(400);
    const badAction = await put('override', 'e', { actions: ['wiggle'] });
    expect([badAction.status, badAction.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    const noPattern = await put('content', 'e', { actions: ['notify'] });
    expect([noPattern.status, noPattern.body.errcode]).toEqual([400, 'M_MISSING_PARAM']);
    const noActions = await put('override', 'e', { conditions: [] });
    expect(noActions.status).toBe(400);
    const badKind = await put('sideways', 'e', { actions: [] });
    expect([badKind.status, badKind.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    expect(await ids('override')).not.toContain('e');
  });

  it('answers M_NOT_FOUND for rules that are not there', async () => {
    for (const res of [
      await server.client.get(rulePath('override', 'missing'), { token: user.accessToken }),
      await server.client.delete(rulePath('override', 'missing'), undefined, { token: user.accessToken }),
      await server.client.delete(rulePath('underride', '.m.rule.message'), undefined, { token: user.accessToken }),
      await server.client.get(rulePath('override', '.m.rule.message', '/enabled'), { token: user.accessToken }),
      await server.client.put(rulePath('room', '!nowhere:localhost', '/enabled'), { enabled: true }, { token: user.accessToken }),
      await server.client.put(rulePath('override', 'missing', '/actions'), { actions: [] }, { token: user.accessToken }),
    ]) {
      expect([res.status, res.body.errcode]).toEqual([404, 'M_NOT_FOUND']);
    }
  });

  it('deletes a rule', async () => {
    expect((await server.client.delete(rulePath('override', 'a'), undefined, { token: user.accessToken })).status).toBe(200);
    expect(await ids('override')).toEqual(['d', 'b', 'c']);
  });

  it('m.push_rules account data follows each change in /sync', async () => {
    const first = await sync(server.client, user);
    await put('room', '!muted:localhost', { actions: [] });
    const next = await sync(server.client, user, { since: first.body.next_batch });
    const events = next.body.account_data.events as { type: string; content: { global: { room: { rule_id: string }[] } } }[];
    const rules = events.find((e) => e.type === 'm.push_rules');
    expect(rules?.content.global.room.map((r) => r.rule_id)).toContain('!muted:localhost');
  });
});

describe('GET /notifications', () => {
  it('lists notifications newest first, with only=highlight and pagination', async () => {
    const dee = await registerUser(server.client, 'dee', 'pw');
    const roomId = await createRoom(server.client, ada, { preset: 'public_chat' });
    await join(server.client, dee, roomId);
    await join(server.client, cy, roomId);
    const first = await send(server.client, ada, roomId, 'n1');
    const mention = await sendContent(ada, roomId, { msgtype: 'm.text', body: 'n2', 'm.mentions': { user_ids: [dee.userId] } });
    const third = await send(server.client, ada, roomId, 'n3');
    await receipt(dee, roomId, mention);

    const all = await server.client.get(`${CS}/notifications`, { token: dee.accessToken });
    expect(all.status).toBe(200);
    const list = all.body.notifications as { event: { event_id: string }; room_id: string; read: boolean; actions: unknown[]; ts: number }[];
    expect(list.map((n) => n.event.event_id)).toEqual([third, mention, first]);
    expect(list.map((n) => n.read)).toEqual([false, true, true]);
    expect(list[0]!.room_id).toBe(roomId);
    expect(list[1]!.actions).toContainEqual({ set_tweak: 'highlight' });
    expect(all.body.next_token).toBeUndefined();

    const highlights = await server.client.get(`${CS}/notifications`, { token: dee.accessToken, query: { only: 'highlight' } });
    expect(highlights.body.notifications.map((n: { event: { event_id: string } }) => n.event.event_id)).toEqual([mention]);

    const page1 = await server.client.get(`${CS}/notifications`, { token: dee.accessToken, query: { limit: '2' } });
    expect(page1.body.notifications.map((n: { event: { event_id: string } }) => n.event.event_id)).toEqual([third, mention]);
    expect(typeof page1.body.next_token).toBe('string');
    const page2 = await server.client.get(`${CS}/notifications`, { token: dee.accessToken, query: { limit: '2', from: page1.body.next_token } });
    expect(page2.body.notifications.map((n: { event: { event_id: string } }) => n.event.event_id)).toEqual([first]);
    expect(page2.body.next_token).toBeUndefined();

    const bad = await server.client.get(`${CS}/notifications`, { token: dee.accessToken, query: { from: 'garbage' } });
    expect([bad.status, bad.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    const none = await server.client.get(`${CS}/notifications`, { token: ada.accessToken });
    expect(none.body.notifications.filter((n: { room_id: string }) => n.room_id === roomId)).toEqual([]);
  });
});

describe('pushers', () => {
  const pusher = (pushkey: string, extra: Record<string, unknown> = {}) => ({
    kind: 'http',
    app_id: 'org.example.app',
    pushkey,
    app_display_name: 'Example',
    device_display_name: 'Phone',
    lang: 'en',
    data: { url: 'https://push.example.org/_matrix/push/v1/notify', format: 'event_id_only' },
    ...extra,
  });

  it('sets, lists, updates and deletes pushers', async () => {
    const eve = await registerUser(server.client, 'eve', 'pw');
    const auth = { token: eve.accessToken };
    expect((await server.client.get(`${CS}/pushers`, auth)).body).toEqual({ pushers: [] });
    expect((await server.client.post(`${CS}/pushers/set`, pusher('key1'), auth)).status).toBe(200);
    expect((await server.client.post(`${CS}/pushers/set`, pusher('key2', { profile_tag: 'tag' }), auth)).status).toBe(200);
    expect((await server.client.post(`${CS}/pushers/set`, pusher('key1', { device_display_name: 'New phone' }), auth)).status).toBe(200);
    const listed = (await server.client.get(`${CS}/pushers`, auth)).body.pushers as Record<string, unknown>[];
    expect(listed).toHaveLength(2);
    expect(listed.find((p) => p['pushkey'] === 'key1')).toEqual({
      pushkey: 'key1',
      kind: 'http',
      app_id: 'org.example.app',
      app_display_name: 'Example',
      device_display_name: 'New phone',
      lang: 'en',
      data: { url: 'https://push.example.org/_matrix/push/v1/notify', format: 'event_id_only' },
    });
    expect(listed.find((p) => p['pushkey'] === 'key2')?.['profile_tag']).toBe('tag');

    expect((await server.client.post(`${CS}/pushers/set`, { kind: null, app_id: 'org.example.app', pushkey: 'key2' }, auth)).status).toBe(200);
    expect(((await server.client.get(`${CS}/pushers`, auth)).body.pushers as { pushkey: string }[]).map((p) => p.pushkey)).toEqual(['key1']);
  });

  it('refuses http pushers without data.url, and incomplete pushers', async () => {
    const auth = { token: ada.accessToken };
    const noUrl = await server.client.post(`${CS}/pushers/set`, pusher('k', { data: {} }), auth);
    expect([noUrl.status, noUrl.body.errcode]).toEqual([400, 'M_MISSING_PARAM']);
    const badUrl = await server.client.post(`${CS}/pushers/set`, pusher('k', { data: { url: 'https://push.example.org/elsewhere' } }), auth);
    expect([badUrl.status, badUrl.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    const partial = await server.client.post(`${CS}/pushers/set`, { kind: 'http', app_id: 'a', pushkey: 'k' }, auth);
    expect([partial.status, partial.body.errcode]).toEqual([400, 'M_MISSING_PARAM']);
    expect((await server.client.get(`${CS}/pushers`, auth)).body.pushers).toEqual([]);
  });

  it('without append, a pushkey moves to the user who set it last; logging out deletes the device’s pushers', async () => {
    const fay = await registerUser(server.client, 'fay', 'pw');
    const gus = await registerUser(server.client, 'gus', 'pw');
    await server.client.post(`${CS}/pushers/set`, pusher('shared'), { token: fay.accessToken });
    await server.client.post(`${CS}/pushers/set`, pusher('shared'), { token: gus.accessToken });
    expect((await server.client.get(`${CS}/pushers`, { token: fay.accessToken })).body.pushers).toEqual([]);
    await server.client.post(`${CS}/pushers/set`, pusher('shared', { append: true }), { token: fay.accessToken });
    expect((await server.client.get(`${CS}/pushers`, { token: gus.accessToken })).body.pushers).toHaveLength(1);

    const phone = await login(server.client, 'gus', 'pw');
    await server.client.post(`${CS}/pushers/set`, pusher('phone'), { token: phone.body.access_token });
    expect((await server.client.get(`${CS}/pushers`, { token: gus.accessToken })).body.pushers).toHaveLength(2);
    expect((await server.client.post(`${CS}/logout`, {}, { token: phone.body.access_token })).status).toBe(200);
    const left = (await server.client.get(`${CS}/pushers`, { token: gus.accessToken })).body.pushers as { pushkey: string }[];
    expect(left.map((p) => p.pushkey)).toEqual(['shared']);
  });
});
