// The client's space hierarchy (GET /rooms/{roomId}/hierarchy) and room summary
// (GET /room_summary/{roomIdOrAlias}) across servers: rooms we hold are
// described from their state, a child only another server holds is asked of the servers its
// m.space.child event names (federation /hierarchy), in the spec's order, with pagination and
// the visibility rules. The servers talk through spec taps, so the federation exchange is
// checked against the server-server schema too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS, type TestResponse } from '../support/client.js';
import { enc, expectError, type RoomClient } from '../rooms/helpers.js';
import { Cluster, waitForMembership } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test
let bob: RoomClient; // hs2.test
let space: string;
let publicRoom: string; // hs1
let privateRoom: string; // hs1, invite only
let remoteRoom: string; // hs2 only

const V1 = '/_matrix/client/v1';

async function hierarchy(user: RoomClient, roomId: string, query = ''): Promise<TestResponse> {
  return user.request('GET', `${V1}/rooms/${enc(roomId)}/hierarchy${query}`);
}

function ids(body: Record<string, any>): string[] {
  return (body.rooms as { room_id: string }[]).map((r) => r.room_id);
}

async function addChild(roomId: string, child: string, content: Record<string, unknown>): Promise<void> {
  const res = await alice.request('PUT', `${CS}/rooms/${enc(roomId)}/state/m.space.child/${enc(child)}`, content);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

beforeAll(async () => {
  cluster = await Cluster.start(2);
  [alice, bob] = await Promise.all([cluster.user(0, 'alice'), cluster.user(1, 'bob')]);
  space = await alice.createRoomOk({ preset: 'public_chat', name: 'The Space', creation_content: { type: 'm.space' } });
  publicRoom = await alice.createRoomOk({ preset: 'public_chat', name: 'Lobby' });
  privateRoom = await alice.createRoomOk({ preset: 'private_chat', name: 'Staff' });
  remoteRoom = await bob.createRoomOk({ preset: 'public_chat', name: 'Over There', topic: 'on hs2' });
  await addChild(space, publicRoom, { via: ['hs1.test'], order: 'b', suggested: true });
  await addChild(space, privateRoom, { via: ['hs1.test'] });
  await addChild(space, remoteRoom, { via: ['hs2.test'], order: 'a' });
}, 60_000);

afterAll(() => cluster?.stop());

describe('space hierarchy', () => {
  it('walks the space depth first in the spec order, asking the other server for its room', async () => {
    const res = await hierarchy(alice, space);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // `order` first (a, b), then the child without one.
    expect(ids(res.body)).toEqual([space, remoteRoom, publicRoom, privateRoom]);
    const root = res.body.rooms[0];
    expect(root.room_type).toBe('m.space');
    expect(root.name).toBe('The Space');
    expect((root.children_state as { state_key: string }[]).map((c) => c.state_key).sort()).toEqual([publicRoom, privateRoom, remoteRoom].sort());
    const remote = res.body.rooms[1];
    expect(remote).toMatchObject({ room_id: remoteRoom, name: 'Over There', topic: 'on hs2', join_rule: 'public', num_joined_members: 1, children_state: [] });
    expect(res.body.next_batch).toBeUndefined();

    const asked = cluster.nodes[1]!.tap!.exchanges.filter((e) => e.operationId === 'getSpaceHierarchy');
    expect(asked.length).toBeGreaterThan(0);
    expect(cluster.nodes.flatMap((n) => n.tap!.violations)).toEqual([]);
  });

  it('shows another user only what they may see or join', async () => {
    expect((await bob.request('POST', `${CS}/join/${enc(space)}?via=hs1.test`, {})).status).toBe(200);
    await waitForMembership(alice, space, bob.userId, 'join');
    const res = await hierarchy(bob, space);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // The invite-only room stays hidden; bob's own room is described from bob's server.
    expect(ids(res.body)).toEqual([space, remoteRoom, publicRoom]);

    // Not a member and not open: forbidden.
    expectError(await hierarchy(bob, privateRoom), 403, 'M_FORBIDDEN');
  });

  it('honours suggested_only and max_depth', async () => {
    expect(ids((await hierarchy(alice, space, '?suggested_only=true')).body)).toEqual([space, publicRoom]);
    expect(ids((await hierarchy(alice, space, '?max_depth=0')).body)).toEqual([space]);
  });

  it('paginates without repeating rooms, and refuses changed parameters or bad tokens', async () => {
    const seen: string[] = [];
    let from: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await hierarchy(alice, space, `?limit=1${from ? `&from=${enc(from)}` : ''}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.rooms).toHaveLength(1);
      seen.push(...ids(res.body));
      from = res.body.next_batch;
      if (from === undefined) break;
    }
    expect(seen).toEqual([space, remoteRoom, publicRoom, privateRoom]);

    const first = await hierarchy(alice, space, '?limit=1');
    expectError(await hierarchy(alice, space, `?limit=1&suggested_only=true&from=${enc(first.body.next_batch)}`), 400, 'M_INVALID_PARAM');
    expectError(await hierarchy(alice, space, '?from=nonsense'), 400, 'M_INVALID_PARAM');
    expectError(await hierarchy(alice, space, '?limit=0'), 400, 'M_INVALID_PARAM');
    expectError(await hierarchy(alice, space, '?max_depth=-1'), 400, 'M_INVALID_PARAM');
    expectError(await hierarchy(alice, space, '?limit=lots'), 400, 'M_INVALID_PARAM');
  });
});

describe('room summary', () => {
  const summary = (user: RoomClient | undefined, target: string, query = ''): Promise<TestResponse> =>
    user ? user.request('GET', `${V1}/room_summary/${enc(target)}${query}`) : alice.client.get(`${V1}/room_summary/${enc(target)}${query}`);

  it('describes a room we hold, with the caller membership', async () => {
    const res = await summary(alice, space);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ room_id: space, name: 'The Space', room_type: 'm.space', join_rule: 'public', membership: 'join', room_version: '12' });
    expect(res.body.children_state).toBeUndefined();
  });

  it('asks a via server for a room only it holds, and resolves aliases', async () => {
    const res = await summary(alice, remoteRoom, '?via=hs2.test');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ room_id: remoteRoom, name: 'Over There', topic: 'on hs2', num_joined_members: 1 });
    expect(res.body.membership).toBeUndefined();
    // No via: nobody to ask.
    expectError(await summary(alice, remoteRoom), 404, 'M_NOT_FOUND');

    const aliased = await bob.createRoomOk({ preset: 'public_chat', name: 'Aliased', room_alias_name: 'summary' });
    const byAlias = await summary(alice, '#summary:hs2.test');
    expect(byAlias.status, JSON.stringify(byAlias.body)).toBe(200);
    expect(byAlias.body.room_id).toBe(aliased);
  });

  it('answers without a token for public rooms only, and never tells a private room from a missing one', async () => {
    const open = await summary(undefined, publicRoom);
    expect(open.status, JSON.stringify(open.body)).toBe(200);
    expect(open.body.membership).toBeUndefined();
    expectError(await summary(undefined, privateRoom), 404, 'M_NOT_FOUND');
    expectError(await summary(bob, privateRoom), 404, 'M_NOT_FOUND');
    expectError(await summary(bob, '!nowhere:hs1.test'), 404, 'M_NOT_FOUND');
    expectError(await summary(bob, 'not-a-room'), 400, 'M_INVALID_PARAM');
  });
});
