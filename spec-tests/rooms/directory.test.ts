// Room aliases (directory.yaml), canonical alias checks, and the published room directory
// (list_public_rooms.yaml).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { enc, expectError, newUser, type RoomClient } from './helpers.js';

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

const aliasPath = (alias: string) => `${CS}/directory/room/${enc(alias)}`;

describe('aliases', () => {
  it('PUT, GET, list, DELETE', async () => {
    const roomId = await alice.createRoomOk({});
    expect((await alice.request('PUT', aliasPath('#team:localhost'), { room_id: roomId })).status).toBe(200);
    expect((await alice.request('PUT', aliasPath('#team2:localhost'), { room_id: roomId })).status).toBe(200);
    const got = await server.client.get(aliasPath('#team:localhost'));
    expect(got.body).toEqual({ room_id: roomId, servers: ['localhost'] });
    const list = await alice.request('GET', `${CS}/rooms/${enc(roomId)}/aliases`);
    expect(list.body.aliases).toEqual(['#team:localhost', '#team2:localhost']);
    // Taken.
    expectError(await alice.request('PUT', aliasPath('#team:localhost'), { room_id: roomId }), 409, 'M_ROOM_IN_USE');
    expect((await alice.request('DELETE', aliasPath('#team2:localhost'))).status).toBe(200);
    expectError(await server.client.get(aliasPath('#team2:localhost')), 404, 'M_NOT_FOUND');
    expectError(await alice.request('DELETE', aliasPath('#team2:localhost')), 404, 'M_NOT_FOUND');
  });

  it('refuses bad and foreign aliases, outsiders, and other users deleting', async () => {
    const roomId = await alice.createRoomOk({});
    expectError(await alice.request('PUT', aliasPath('#x:elsewhere.example'), { room_id: roomId }), 400, 'M_INVALID_PARAM');
    expectError(await alice.request('PUT', aliasPath('nohash:localhost'), { room_id: roomId }), 400, 'M_INVALID_PARAM');
    expectError(await bob.request('PUT', aliasPath('#bobs:localhost'), { room_id: roomId }), 403, 'M_FORBIDDEN');
    expectError(await bob.request('GET', `${CS}/rooms/${enc(roomId)}/aliases`), 403, 'M_FORBIDDEN');
    expectError(await server.client.get(aliasPath('#anything:elsewhere.example')), 404, 'M_NOT_FOUND');

    expect((await alice.request('PUT', aliasPath('#alices:localhost'), { room_id: roomId })).status).toBe(200);
    expectError(await bob.request('DELETE', aliasPath('#alices:localhost')), 403, 'M_FORBIDDEN');
  });

  it('deleting an alias takes it out of the canonical alias', async () => {
    const roomId = await alice.createRoomOk({ room_alias_name: 'canon' });
    await alice.request('PUT', aliasPath('#canon-alt:localhost'), { room_id: roomId });
    expect((await alice.putState(roomId, 'm.room.canonical_alias', '', { alias: '#canon:localhost', alt_aliases: ['#canon-alt:localhost'] })).status).toBe(200);
    await alice.request('DELETE', aliasPath('#canon-alt:localhost'));
    expect((await alice.getState(roomId, 'm.room.canonical_alias')).body).toEqual({ alias: '#canon:localhost', alt_aliases: [] });
  });

  it('canonical alias content is validated', async () => {
    const roomId = await alice.createRoomOk({});
    const other = await alice.createRoomOk({ room_alias_name: 'other-room' });
    expect(other).not.toBe(roomId);
    expectError(await alice.putState(roomId, 'm.room.canonical_alias', '', { alias: '#unknown:localhost' }), 400, 'M_BAD_ALIAS');
    expectError(await alice.putState(roomId, 'm.room.canonical_alias', '', { alias: '#other-room:localhost' }), 400, 'M_BAD_ALIAS');
    expectError(await alice.putState(roomId, 'm.room.canonical_alias', '', { alias: 'not an alias' }), 400, 'M_INVALID_PARAM');
    expectError(await alice.putState(roomId, 'm.room.canonical_alias', '', { alt_aliases: ['#unknown:localhost'] }), 400, 'M_BAD_ALIAS');
    await alice.request('PUT', aliasPath('#mine:localhost'), { room_id: roomId });
    expect((await alice.putState(roomId, 'm.room.canonical_alias', '', { alias: '#mine:localhost' })).status).toBe(200);
    // Removing the canonical alias is always fine.
    expect((await alice.putState(roomId, 'm.room.canonical_alias', '', {})).status).toBe(200);
  });
});

describe('published room directory', () => {
  it('lists public rooms with their summary, and pages through them', async () => {
    const names = ['Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon'];
    const ids: string[] = [];
    for (const name of names) ids.push(await carol.createRoomOk({ visibility: 'public', name, topic: `About ${name}` }));
    // A private room stays out; Beta gets more members so it sorts first.
    await carol.createRoomOk({ name: 'Hidden' });
    await alice.joinById(ids[1]!);
    await bob.joinById(ids[1]!);

    const all = await server.client.get(`${CS}/publicRooms`);
    expect(all.status).toBe(200);
    const chunk = all.body.chunk as { room_id: string; name: string }[];
    expect(chunk.map((r) => r.name)).not.toContain('Hidden');
    expect(chunk[0]).toEqual({
      room_id: ids[1],
      name: 'Beta',
      topic: 'About Beta',
      num_joined_members: 3,
      world_readable: false,
      guest_can_join: false,
      join_rule: 'public',
    });
    expect(all.body.total_room_count_estimate).toBe(5);

    const seen: string[] = [];
    let since: string | undefined;
    let pages = 0;
    do {
      const page = await server.client.get(`${CS}/publicRooms`, { query: { limit: '2', ...(since ? { since } : {}) } });
      expect(page.status).toBe(200);
      expect(page.body.chunk.length).toBeLessThanOrEqual(2);
      if (pages > 0) expect(typeof page.body.prev_batch).toBe('string');
      seen.push(...(page.body.chunk as { room_id: string }[]).map((r) => r.room_id));
      since = page.body.next_batch;
      pages++;
    } while (since !== undefined);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...ids].sort());

    // prev_batch leads back.
    const second = await server.client.get(`${CS}/publicRooms`, { query: { limit: '2', since: 'o2' } });
    const back = await server.client.get(`${CS}/publicRooms`, { query: { limit: '2', since: second.body.prev_batch } });
    expect(back.body.chunk).toEqual(chunk.slice(0, 2));
  });

  it('POST filters by search term and room type', async () => {
    const space = await carol.createRoomOk({ visibility: 'public', name: 'Zeta space', creation_content: { type: 'm.space' } });
    const res = await carol.request('POST', `${CS}/publicRooms`, { filter: { generic_search_term: 'zeta' } });
    expect(res.status).toBe(200);
    expect(res.body.chunk).toHaveLength(1);
    expect(res.body.chunk[0]).toMatchObject({ room_id: space, room_type: 'm.space' });
    const spaces = await carol.request('POST', `${CS}/publicRooms`, { filter: { room_types: ['m.space'] } });
    expect((spaces.body.chunk as { room_id: string }[]).map((r) => r.room_id)).toEqual([space]);
    const plain = await carol.request('POST', `${CS}/publicRooms`, { filter: { room_types: [null] } });
    expect((plain.body.chunk as { room_id: string }[]).map((r) => r.room_id)).not.toContain(space);
    expectError(await carol.request('POST', `${CS}/publicRooms`, { since: 'garbage' }), 400, 'M_INVALID_PARAM');
  });

  it('directory visibility: read by anyone, changed by the powerful', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat' });
    await bob.joinById(roomId);
    const path = `${CS}/directory/list/room/${enc(roomId)}`;
    expect((await server.client.get(path)).body).toEqual({ visibility: 'private' });
    expectError(await bob.request('PUT', path, { visibility: 'public' }), 403, 'M_FORBIDDEN');
    expectError(await carol.request('PUT', path, { visibility: 'public' }), 403, 'M_FORBIDDEN');
    expect((await alice.request('PUT', path, { visibility: 'public' })).status).toBe(200);
    expect((await server.client.get(path)).body).toEqual({ visibility: 'public' });
    const listed = await server.client.get(`${CS}/publicRooms`, { query: { limit: '100' } });
    expect((listed.body.chunk as { room_id: string }[]).map((r) => r.room_id)).toContain(roomId);
    expect((await alice.request('PUT', path, { visibility: 'private' })).status).toBe(200);
    expectError(await server.client.get(`${CS}/directory/list/room/${enc('!missing:localhost')}`), 404, 'M_NOT_FOUND');
  });
});
