// Ignoring users (spec "Ignoring Users"): once m.ignored_user_list names someone, their
// non-state events leave the ignoring user's /sync, /messages and /context, and their invites
// are not shown; their state events stay (room state must stay right), and un-ignoring brings
// the history back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, registerUser, type Session } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createRoom, invite, join, roomPath, send, setState, sync } from './helpers.js';

let server: TestServer;
let ann: Session;
let ben: Session;
let cat: Session;

beforeAll(async () => {
  server = await startTestServer();
  ann = await registerUser(server.client, 'ann', 'pw');
  ben = await registerUser(server.client, 'ben', 'pw');
  cat = await registerUser(server.client, 'cat', 'pw');
});
afterAll(() => server.stop());

async function ignore(s: Session, userIds: string[]): Promise<void> {
  const ignored = Object.fromEntries(userIds.map((u) => [u, {}]));
  const res = await server.client.put(`${CS}/user/${encodeURIComponent(s.userId)}/account_data/m.ignored_user_list`, { ignored_users: ignored }, { token: s.accessToken });
  expect(res.status).toBe(200);
}

function bodies(events: { type: string; content: { body?: string } }[]): string[] {
  return events.filter((e) => e.type === 'm.room.message').map((e) => e.content.body ?? '');
}

async function messages(s: Session, roomId: string): Promise<{ type: string; content: { body?: string }; sender: string }[]> {
  const res = await server.client.get(roomPath(roomId, '/messages'), { token: s.accessToken, query: { dir: 'b', limit: '50' } });
  expect(res.status).toBe(200);
  return res.body.chunk;
}

describe('ignored users', () => {
  it("hides the ignored user's messages from sync, /messages and /context, but not their state events", async () => {
    const roomId = await createRoom(server.client, ann, { preset: 'public_chat' });
    await join(server.client, ben, roomId);
    await join(server.client, cat, roomId);
    const fromBen = await send(server.client, ben, roomId, 'from ben');
    await send(server.client, cat, roomId, 'from cat');
    await ignore(ann, [ben.userId]);

    const first = await sync(server.client, ann);
    const timeline = first.body.rooms.join[roomId].timeline.events;
    expect(bodies(timeline)).toEqual(['from cat']);
    expect(bodies(await messages(ann, roomId))).toEqual(['from cat']);
    // Ben's join (a state event) is still part of the room.
    const members = await server.client.get(roomPath(roomId, '/joined_members'), { token: ann.accessToken });
    expect(Object.keys(members.body.joined)).toContain(ben.userId);

    // New messages and state from ben: his profile change arrives, his message does not.
    await send(server.client, ben, roomId, 'ben again');
    await setState(server.client, ben, roomId, 'm.room.member', ben.userId, { membership: 'join', displayname: 'Benji' });
    await send(server.client, cat, roomId, 'cat again');
    const next = await sync(server.client, ann, { since: first.body.next_batch });
    const events = next.body.rooms.join[roomId].timeline.events as { type: string; sender: string; content: { body?: string } }[];
    expect(bodies(events)).toEqual(['cat again']);
    expect(events.some((e) => e.type === 'm.room.member' && e.sender === ben.userId)).toBe(true);

    // An event of ben's cannot be fetched as context either.
    const context = await server.client.get(roomPath(roomId, `/context/${encodeURIComponent(fromBen)}`), { token: ann.accessToken });
    expect(context.status).toBe(404);

    // Others are not affected, and un-ignoring brings ben back.
    expect(bodies(await messages(cat, roomId))).toEqual(['cat again', 'ben again', 'from cat', 'from ben']);
    await ignore(ann, []);
    expect(bodies(await messages(ann, roomId))).toEqual(['cat again', 'ben again', 'from cat', 'from ben']);
  });

  it('does not show invites from an ignored user', async () => {
    await ignore(cat, [ben.userId]);
    const before = await sync(server.client, cat);
    const fromBen = await createRoom(server.client, ben, { preset: 'private_chat' });
    await invite(server.client, ben, fromBen, cat.userId);
    const fromAnn = await createRoom(server.client, ann, { preset: 'private_chat' });
    await invite(server.client, ann, fromAnn, cat.userId);
    const after = await sync(server.client, cat, { since: before.body.next_batch });
    expect(Object.keys(after.body.rooms?.invite ?? {})).toEqual([fromAnn]);
    expect(Object.keys((await sync(server.client, cat)).body.rooms?.invite ?? {})).toEqual([fromAnn]);
  });
});
