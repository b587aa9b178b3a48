// An event stored first as an outlier (as federation does for auth and state events it fetches)
// and later received as part of the timeline is promoted: it appears in /messages and in an
// incremental /sync, with a stream position after the token the client already holds.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildEvent } from '../../src/core/events/build.js';
import { CS } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { newUser, type RoomClient } from './helpers.js';

let server: TestServer;
let alice: RoomClient;
beforeAll(async () => {
  server = await startTestServer();
  alice = await newUser(server.client, 'alice');
});
afterAll(() => server.stop());

function extremity(roomId: string): { event_id: string; depth: number } {
  const db = new Database(server.config.databasePath, { readonly: true });
  try {
    const rows = db
      .prepare<[string], { event_id: string; depth: number }>(
        'SELECT x.event_id, e.depth FROM event_forward_extremities x JOIN events e ON e.event_id = x.event_id WHERE x.room_id = ?',
      )
      .all(roomId);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  } finally {
    db.close();
  }
}

it('an outlier that arrives again as a timeline event joins the timeline', async () => {
  const roomId = await alice.createRoomOk({ room_version: '12' });
  const { services, config } = server.homeserver;
  const rooms = services.rooms;
  const version = rooms.loader.versionOf(roomId)!;
  const built = buildEvent(
    { type: 'm.room.message', sender: alice.userId, content: { msgtype: 'm.text', body: 'first seen as an outlier' }, room_id: roomId },
    { version, origin: config.serverName, key: services.signingKey, originServerTs: Date.now(), prevEvents: [extremity(roomId)], state: rooms.state.currentLookup(roomId) },
  );

  expect(rooms.persister.persist({ pdu: built.pdu, event: built.event, version, outlier: true }).status).toBe('outlier');
  const auth = { token: alice.session.accessToken };
  const before = await server.client.get(`${CS}/sync`, { ...auth, query: { timeout: '0' } });
  const token = before.body.next_batch as string;
  const bodies = async (): Promise<unknown[]> => {
    const res = await server.client.get(`${CS}/rooms/${encodeURIComponent(roomId)}/messages`, { ...auth, query: { dir: 'b', limit: '20' } });
    return (res.body.chunk as { content: { body?: unknown } }[]).map((e) => e.content.body);
  };
  expect(await bodies()).not.toContain('first seen as an outlier');

  const promoted = rooms.persister.persist({ pdu: built.pdu, event: built.event, version });
  expect(promoted.status).toBe('accepted');
  expect(await bodies()).toContain('first seen as an outlier');
  const after = await server.client.get(`${CS}/sync`, { ...auth, query: { timeout: '0', since: token } });
  const timeline = after.body.rooms.join[roomId].timeline.events as { event_id: string }[];
  expect(timeline.map((e) => e.event_id)).toContain(built.eventId);

  // A second delivery is a plain duplicate now.
  expect(rooms.persister.persist({ pdu: built.pdu, event: built.event, version }).status).toBe('duplicate');
});
