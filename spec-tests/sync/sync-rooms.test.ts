// /sync with rooms: initial and incremental syncs, gaps (limited + prev_batch, backfilled exactly
// by /messages), state deltas, long-poll wake-ups, invite/join/leave sections, full_state,
// transaction IDs, filters, and bad parameters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, registerUser, type Session } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  bodies,
  createRoom,
  invite,
  join,
  leave,
  roomPath,
  send,
  setState,
  sleep,
  stateOf,
  sync,
  timelineOf,
  type ClientEventShape,
} from './helpers.js';

let server: TestServer;
let alice: Session;
let bob: Session;
let carol: Session;
beforeAll(async () => {
  server = await startTestServer();
  alice = await registerUser(server.client, 'alice', 'pw');
  bob = await registerUser(server.client, 'bob', 'pw');
  carol = await registerUser(server.client, 'carol', 'pw');
});
afterAll(() => server.stop());

const keyOf = (e: ClientEventShape): string => `${e.type}|${e.state_key}`;

describe('initial sync', () => {
  it('gives each joined room its state before the timeline, the timeline, a summary and prev_batch', async () => {
    const roomId = await createRoom(server.client, alice, { name: 'Initial', topic: 'first' });
    await send(server.client, alice, roomId, 'one');
    const res = await sync(server.client, alice, { filter: { room: { timeline: { limit: 3 } } } });
    const room = res.body.rooms.join[roomId];
    expect(room.timeline.events).toHaveLength(3);
    expect(room.timeline.limited).toBe(true);
    expect(typeof room.timeline.prev_batch).toBe('string');
    expect(bodies(room.timeline.events)).toEqual(['one']);
    // State plus the state events of the timeline make up the whole current state.
    const state = new Map<string, string>();
    for (const e of [...room.state.events, ...room.timeline.events] as ClientEventShape[]) if (e.state_key !== undefined) state.set(keyOf(e), e.event_id);
    for (const key of ['m.room.create|', 'm.room.power_levels|', 'm.room.join_rules|', 'm.room.name|', 'm.room.topic|', `m.room.member|${alice.userId}`]) {
      expect(state.has(key), key).toBe(true);
    }
    expect(room.summary['m.joined_member_count']).toBe(1);
    expect(room.summary['m.invited_member_count']).toBe(0);
    // Events in /sync carry no room_id (it is the key they sit under).
    expect(room.timeline.events[0].room_id).toBeUndefined();
  });
});

describe('incremental sync', () => {
  it('delivers every new event exactly once, in order', async () => {
    const roomId = await createRoom(server.client, alice, { name: 'Steady' });
    let since = (await sync(server.client, alice)).body.next_batch;
    const seen: string[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++) await send(server.client, alice, roomId, `r${round}m${i}`);
      const res = await sync(server.client, alice, { since });
      seen.push(...bodies(timelineOf(res.body, roomId)));
      expect(res.body.rooms.join[roomId].timeline.limited).toBe(false);
      since = res.body.next_batch;
    }
    expect(seen).toEqual([0, 1, 2, 3].flatMap((r) => [0, 1, 2].map((i) => `r${r}m${i}`)));
    const quiet = await sync(server.client, alice, { since });
    expect(quiet.body.rooms?.join?.[roomId]).toBeUndefined();
  });

  it('marks a gap limited, puts the gap state in `state`, and /messages from prev_batch fills exactly the gap', async () => {
    const roomId = await createRoom(server.client, alice, { name: 'Gappy' });
    const filter = { room: { timeline: { limit: 3 } } };
    const since = (await sync(server.client, alice, { filter })).body.next_batch;
    for (let i = 0; i < 4; i++) await send(server.client, alice, roomId, `gap ${i}`);
    await setState(server.client, alice, roomId, 'm.room.name', '', { name: 'Renamed in the gap' });
    for (let i = 4; i < 10; i++) await send(server.client, alice, roomId, `gap ${i}`);

    const res = await sync(server.client, alice, { since, filter });
    const room = res.body.rooms.join[roomId];
    expect(room.timeline.limited).toBe(true);
    expect(bodies(room.timeline.events)).toEqual(['gap 7', 'gap 8', 'gap 9']);
    const name = (room.state.events as ClientEventShape[]).find((e) => e.type === 'm.room.name');
    expect(name?.content).toEqual({ name: 'Renamed in the gap' });

    // Back-paginate from prev_batch down to the previous sync: exactly the 8 events of the gap.
    const gap: ClientEventShape[] = [];
    let from: string | undefined = room.timeline.prev_batch;
    for (let page = 0; page < 10 && from !== undefined; page++) {
      const msgs = await server.client.get(roomPath(roomId, '/messages'), {
        token: alice.accessToken,
        query: { from, to: since, dir: 'b', limit: '3' },
      });
      expect(msgs.status).toBe(200);
      gap.push(...msgs.body.chunk);
      from = msgs.body.end;
    }
    const inOrder = gap.reverse();
    expect(inOrder.map((e) => (e.type === 'm.room.name' ? 'rename' : String(e.content['body'])))).toEqual([
      'gap 0',
      'gap 1',
      'gap 2',
      'gap 3',
      'rename',
      'gap 4',
      'gap 5',
      'gap 6',
    ]);
  });

  it('catches up after a long absence (a window too big to scan) without missing or repeating', async () => {
    const mine = await createRoom(server.client, alice, { name: 'Mine' });
    const busy = await createRoom(server.client, carol, { name: 'Busy elsewhere' });
    const since = (await sync(server.client, alice)).body.next_batch;
    await send(server.client, alice, mine, 'first');
    for (let i = 0; i < 260; i++) await send(server.client, carol, busy, `noise ${i}`);
    await send(server.client, alice, mine, 'second');
    const res = await sync(server.client, alice, { since });
    expect(bodies(timelineOf(res.body, mine))).toEqual(['first', 'second']);
    expect(res.body.rooms.join[busy]).toBeUndefined();
  });

  it('wakes a long-poll when a message arrives', async () => {
    const roomId = await createRoom(server.client, alice, { preset: 'public_chat' });
    await join(server.client, bob, roomId);
    const since = (await sync(server.client, bob)).body.next_batch;
    const started = Date.now();
    const poll = sync(server.client, bob, { since, timeout: 20_000 });
    await sleep(100);
    await send(server.client, alice, roomId, 'wake up');
    const res = await poll;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(bodies(timelineOf(res.body, roomId))).toEqual(['wake up']);
  });

  it('does not wake for rooms the user is not in', async () => {
    const elsewhere = await createRoom(server.client, carol, { name: 'Not for bob' });
    const since = (await sync(server.client, bob)).body.next_batch;
    const started = Date.now();
    const poll = sync(server.client, bob, { since, timeout: 600 });
    await send(server.client, carol, elsewhere, 'private');
    const res = await poll;
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(res.body.rooms?.join?.[elsewhere]).toBeUndefined();
  });

  it('echoes transaction_id to the sending device only', async () => {
    const roomId = await createRoom(server.client, alice, { preset: 'public_chat' });
    await join(server.client, bob, roomId);
    const other = await login(server.client, 'alice', 'pw');
    const since = (await sync(server.client, alice)).body.next_batch;
    await send(server.client, alice, roomId, 'with txn', 'm.room.message', 'my-txn-1');
    const mine = timelineOf((await sync(server.client, alice, { since })).body, roomId);
    expect(mine.find((e) => e.content['body'] === 'with txn')?.unsigned?.['transaction_id']).toBe('my-txn-1');
    const otherDevice = { userId: alice.userId, accessToken: other.body.access_token as string, deviceId: other.body.device_id as string };
    const theirs = timelineOf((await sync(server.client, otherDevice, { since })).body, roomId);
    expect(theirs.find((e) => e.content['body'] === 'with txn')?.unsigned?.['transaction_id']).toBeUndefined();
    const bobs = timelineOf((await sync(server.client, bob, { since })).body, roomId);
    expect(bobs.find((e) => e.content['body'] === 'with txn')?.unsigned?.['transaction_id']).toBeUndefined();
  });

  it('full_state returns the whole state again', async () => {
    const roomId = await createRoom(server.client, alice, { name: 'Full' });
    const since = (await sync(server.client, alice)).body.next_batch;
    const res = await sync(server.client, alice, { since, fullState: true });
    const types = stateOf(res.body, roomId).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['m.room.create', 'm.room.power_levels', 'm.room.name', 'm.room.member']));
  });
});

describe('event format', () => {
  it('redacted events come stripped with redacted_because; state events carry prev_content', async () => {
    const roomId = await createRoom(server.client, alice, { name: 'Before' });
    const since = (await sync(server.client, alice)).body.next_batch;
    const doomed = await send(server.client, alice, roomId, 'regrettable');
    const redact = await server.client.put(roomPath(roomId, `/redact/${encodeURIComponent(doomed)}/r1`), { reason: 'oops' }, { token: alice.accessToken });
    expect(redact.status).toBe(200);
    await setState(server.client, alice, roomId, 'm.room.name', '', { name: 'After' });
    const events = timelineOf((await sync(server.client, alice, { since })).body, roomId);
    const redacted = events.find((e) => e.event_id === doomed)!;
    expect(redacted.content).toEqual({});
    expect((redacted.unsigned?.['redacted_because'] as { event_id: string; content: { reason: string } }).content.reason).toBe('oops');
    const redaction = events.find((e) => e.type === 'm.room.redaction') as ClientEventShape & { redacts?: string };
    expect(redaction.redacts ?? redaction.content['redacts']).toBe(doomed);
    const rename = events.find((e) => e.type === 'm.room.name')!;
    expect(rename.unsigned?.['prev_content']).toEqual({ name: 'Before' });
    expect(typeof rename.unsigned?.['replaces_state']).toBe('string');
  });

  it('event_fields keeps only the listed fields', async () => {
    const roomId = await createRoom(server.client, alice, {});
    const since = (await sync(server.client, alice)).body.next_batch;
    await send(server.client, alice, roomId, 'slim');
    const res = await server.client.get('/_matrix/client/v3/sync', {
      token: alice.accessToken,
      query: { since, filter: JSON.stringify({ event_fields: ['type', 'content.body', 'event_id', 'sender', 'origin_server_ts'] }) },
    });
    const [event] = timelineOf(res.body, roomId);
    expect(Object.keys(event!).sort()).toEqual(['content', 'event_id', 'origin_server_ts', 'sender', 'type']);
    expect(event!.content).toEqual({ body: 'slim' });
  });
});

describe('use_state_after', () => {
  const stateAfterOf = (body: { rooms?: { join?: Record<string, Record<string, { events: ClientEventShape[] }>> } }, roomId: string, key = 'state_after') =>
    body.rooms?.join?.[roomId]?.[key]?.events ?? [];

  it('carries the state at the end of the timeline instead of `state`', async () => {
    const roomId = await createRoom(server.client, alice, { name: 'After' });
    const query = { filter: { room: { timeline: { limit: 3 } } } };
    const first = await server.client.get('/_matrix/client/v3/sync', {
      token: alice.accessToken,
      query: { filter: JSON.stringify(query.filter), use_state_after: 'true' },
    });
    const room = first.body.rooms.join[roomId];
    expect(room.state).toBeUndefined();
    const keys = (room.state_after.events as ClientEventShape[]).map(keyOf);
    // The name is in the timeline (last 3 events) and in state_after all the same.
    expect(keys).toEqual(expect.arrayContaining(['m.room.create|', 'm.room.name|', `m.room.member|${alice.userId}`]));

    await setState(server.client, alice, roomId, 'm.room.topic', '', { topic: 'now' });
    await send(server.client, alice, roomId, 'plain');
    const next = await server.client.get('/_matrix/client/v3/sync', {
      token: alice.accessToken,
      query: { since: first.body.next_batch, 'org.matrix.msc4222.use_state_after': 'true' },
    });
    const after = stateAfterOf(next.body, roomId, 'org.matrix.msc4222.state_after');
    expect(after.map(keyOf)).toEqual(['m.room.topic|']);
    expect(after[0]?.content).toEqual({ topic: 'now' });
  });

  it('after a gap, gives what changed between since and the end', async () => {
    const roomId = await createRoom(server.client, alice, { name: 'After gap' });
    const filter = JSON.stringify({ room: { timeline: { limit: 2 } } });
    const since = (await sync(server.client, alice, { filter })).body.next_batch;
    await setState(server.client, alice, roomId, 'm.room.name', '', { name: 'Gap name' });
    for (let i = 0; i < 4; i++) await send(server.client, alice, roomId, `g${i}`);
    const res = await server.client.get('/_matrix/client/v3/sync', { token: alice.accessToken, query: { since, filter, use_state_after: 'true' } });
    const room = res.body.rooms.join[roomId];
    expect(room.timeline.limited).toBe(true);
    expect((room.state_after.events as ClientEventShape[]).map(keyOf)).toEqual(['m.room.name|']);
  });
});

describe('membership sections', () => {
  it('invite (stripped state) → join (full state) → leave', async () => {
    const roomId = await createRoom(server.client, alice, { name: 'Club', topic: 'members only' });
    let since = (await sync(server.client, carol)).body.next_batch;
    await invite(server.client, alice, roomId, carol.userId);

    const invited = await sync(server.client, carol, { since });
    const inviteState = invited.body.rooms.invite[roomId].invite_state.events as ClientEventShape[];
    expect(inviteState.find((e) => e.type === 'm.room.name')?.content).toEqual({ name: 'Club' });
    const memberEvent = inviteState.find((e) => e.type === 'm.room.member' && e.state_key === carol.userId);
    expect(memberEvent?.content['membership']).toBe('invite');
    expect(memberEvent?.sender).toBe(alice.userId);
    expect(invited.body.rooms.join?.[roomId]).toBeUndefined();
    since = invited.body.next_batch;
    // The invite is not repeated.
    expect((await sync(server.client, carol, { since })).body.rooms?.invite?.[roomId]).toBeUndefined();

    await join(server.client, carol, roomId);
    const joined = await sync(server.client, carol, { since });
    expect(joined.body.rooms.invite?.[roomId]).toBeUndefined();
    const room = joined.body.rooms.join[roomId];
    const all = [...room.state.events, ...room.timeline.events] as ClientEventShape[];
    expect(all.some((e) => e.type === 'm.room.create')).toBe(true);
    expect(all.some((e) => e.type === 'm.room.topic')).toBe(true);
    expect(room.summary['m.joined_member_count']).toBe(2);
    since = joined.body.next_batch;

    await send(server.client, alice, roomId, 'before carol leaves');
    await leave(server.client, carol, roomId);
    await send(server.client, alice, roomId, 'after carol left');
    const left = await sync(server.client, carol, { since });
    expect(left.body.rooms.join?.[roomId]).toBeUndefined();
    const leftRoom = left.body.rooms.leave[roomId];
    const events = leftRoom.timeline.events as ClientEventShape[];
    expect(bodies(events)).toEqual(['before carol leaves']);
    expect(events.at(-1)?.type).toBe('m.room.member');
    expect(events.at(-1)?.content['membership']).toBe('leave');
    // Later syncs do not repeat it, and nothing after the leave reaches carol.
    const after = await sync(server.client, carol, { since: left.body.next_batch });
    expect(after.body.rooms?.leave?.[roomId]).toBeUndefined();
  });

  it('a rejected invite shows up under leave', async () => {
    const roomId = await createRoom(server.client, alice, { invite: [carol.userId] });
    const since = (await sync(server.client, carol)).body.next_batch;
    await leave(server.client, carol, roomId);
    const res = await sync(server.client, carol, { since });
    const events = res.body.rooms.leave[roomId].timeline.events as ClientEventShape[];
    expect(events.map((e) => e.content['membership'])).toEqual(['leave']);
  });

  it('a knock shows under knock with stripped state; a long-poll wakes for an invite', async () => {
    const roomId = await createRoom(server.client, alice, {
      name: 'Knock here',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    });
    const since = (await sync(server.client, carol)).body.next_batch;
    const knocked = await server.client.post(`/_matrix/client/v3/knock/${encodeURIComponent(roomId)}`, { reason: 'let me in' }, { token: carol.accessToken });
    expect(knocked.status).toBe(200);
    const res = await sync(server.client, carol, { since });
    const knockState = res.body.rooms.knock[roomId].knock_state.events as ClientEventShape[];
    expect(knockState.find((e) => e.type === 'm.room.name')?.content).toEqual({ name: 'Knock here' });
    expect(knockState.find((e) => e.state_key === carol.userId)?.content['membership']).toBe('knock');

    const other = await createRoom(server.client, alice, { name: 'Surprise' });
    const pollSince = res.body.next_batch;
    const started = Date.now();
    const poll = sync(server.client, carol, { since: pollSince, timeout: 20_000 });
    await sleep(100);
    await invite(server.client, alice, other, carol.userId);
    const woken = await poll;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(woken.body.rooms.invite[other]).toBeDefined();
  });

  it('left rooms appear in an initial sync only with include_leave', async () => {
    const roomId = await createRoom(server.client, alice, { preset: 'public_chat' });
    await join(server.client, carol, roomId);
    await leave(server.client, carol, roomId);
    expect((await sync(server.client, carol)).body.rooms?.leave?.[roomId]).toBeUndefined();
    const withLeave = await sync(server.client, carol, { filter: { room: { include_leave: true } } });
    expect(withLeave.body.rooms.leave[roomId]).toBeDefined();
  });
});

describe('filters', () => {
  it('filters the timeline by type and sender, and rooms by ID', async () => {
    const roomA = await createRoom(server.client, alice, { preset: 'public_chat' });
    const roomB = await createRoom(server.client, alice, { preset: 'public_chat' });
    await join(server.client, bob, roomA);
    const since = (await sync(server.client, alice)).body.next_batch;
    await send(server.client, alice, roomA, 'from alice');
    await send(server.client, bob, roomA, 'from bob');
    await send(server.client, alice, roomA, 'a notice', 'org.example.custom');
    await send(server.client, alice, roomB, 'in room b');

    const onlyBob = await sync(server.client, alice, { since, filter: { room: { timeline: { senders: [bob.userId] } } } });
    expect(bodies(timelineOf(onlyBob.body, roomA))).toEqual(['from bob']);
    const typed = await sync(server.client, alice, { since, filter: { room: { timeline: { types: ['org.example.*'] } } } });
    expect(timelineOf(typed.body, roomA).map((e) => e.type)).toEqual(['org.example.custom']);
    const notB = await sync(server.client, alice, { since, filter: { room: { not_rooms: [roomB] } } });
    expect(notB.body.rooms.join[roomB]).toBeUndefined();
    expect(notB.body.rooms.join[roomA]).toBeDefined();
    // A stored filter works the same as an inline one.
    const stored = await server.client.post(`/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/filter`, { room: { rooms: [roomB] } }, { token: alice.accessToken });
    const onlyB = await sync(server.client, alice, { since, filter: stored.body.filter_id });
    expect(Object.keys(onlyB.body.rooms.join)).toEqual([roomB]);
  });

  it('refuses bad tokens, filters and parameters', async () => {
    const auth = { token: alice.accessToken };
    const bad: Record<string, string>[] = [{ since: 'garbage' }, { filter: '{not json' }, { filter: '12345' }, { timeout: 'soon' }, { full_state: 'yes' }, { set_presence: 'busy' }];
    for (const query of bad) {
      const res = await server.client.get('/_matrix/client/v3/sync', { ...auth, query });
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.errcode).toBe('M_INVALID_PARAM');
    }
    const noToken = await server.client.get('/_matrix/client/v3/sync');
    expect(noToken.status).toBe(401);
  });
});
