// Threads with the real matrix-js-sdk (threadSupport on): one client replies in a thread, and a
// client that starts later builds the thread from the server's /threads list and bundled
// m.thread aggregation (count, latest event, participation), then reads it with /relations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THREAD_RELATION_TYPE, type MatrixClient } from 'matrix-js-sdk';
import { registerUser } from '../support/client.js';
import { quietSdkLogs, sdkClient, startSdkClient } from '../support/sdk.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
const clients: MatrixClient[] = [];

beforeAll(async () => {
  // 'error': with threads on, the SDK warns about every room state event it sees before the room.
  quietSdkLogs('error');
  server = await startTestServer();
});
afterAll(async () => {
  for (const c of clients) c.stopClient();
  await server.stop();
});

async function startSdk(username: string): Promise<MatrixClient> {
  const session = await registerUser(server.client, username, 'password');
  const client = sdkClient(server.baseUrl, session);
  clients.push(client);
  await startSdkClient(client, { threadSupport: true });
  return client;
}

/** Polls until `probe` answers (the SDK updates its models asynchronously). */
async function eventually<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('matrix-js-sdk threads', () => {
  it('a thread opened by one client is listed, counted and read by another', async () => {
    const alice = await startSdk('alice');
    const { room_id: roomId } = await alice.createRoom({ preset: 'public_chat' as never });
    const root = await alice.sendTextMessage(roomId, 'shall we thread?');
    const reply1 = await alice.sendMessage(roomId, root.event_id, { msgtype: 'm.text', body: 'yes' } as never);
    const reply2 = await alice.sendMessage(roomId, root.event_id, { msgtype: 'm.text', body: 'definitely' } as never);

    // The SDK put the thread relation in: the server indexed it.
    const rel = await alice.relations(roomId, root.event_id, THREAD_RELATION_TYPE.name);
    expect(rel.events.map((e) => e.getId())).toEqual([reply2.event_id, reply1.event_id]);

    const bob = await startSdk('bob');
    await bob.joinRoom(roomId);
    const room = await eventually('bob to have the room', () => bob.getRoom(roomId) ?? undefined);
    // What Element does when the thread panel opens.
    await room.createThreadsTimelineSets();
    await room.fetchRoomThreads();
    const thread = await eventually('bob to know the thread', () => room.getThread(root.event_id) ?? undefined);
    await eventually('the thread summary', () => (thread.length === 2 ? true : undefined));
    expect(thread.replyToEvent?.getId()).toBe(reply2.event_id);
    expect(thread.hasCurrentUserParticipated).toBe(false);
  });
});
