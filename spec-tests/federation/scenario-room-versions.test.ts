// Three Lattice instances (hs1 on 127.0.0.1, hs2 on .2, hs3 on .3) federating over HTTPS with a
// CA made for the run. For every room version 1-12: the room is created on hs1, hs2's user joins
// remotely (by alias for odd versions, by ID with `via` for even ones), both sides chat and see
// both messages, hs1 invites hs3's user, who joins; then kick and ban across servers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS } from '../support/client.js';
import { enc, type RoomClient } from '../rooms/helpers.js';
import { Cluster, membershipOf, stateIds, timeline, waitFor, waitForMembership, waitForMessage } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test
let bob: RoomClient; // hs2.test
let carol: RoomClient; // hs3.test

beforeAll(async () => {
  cluster = await Cluster.start(3);
  [alice, bob, carol] = await Promise.all([cluster.user(0, 'alice'), cluster.user(1, 'bob'), cluster.user(2, 'carol')]);
}, 60_000);

afterAll(() => cluster?.stop());

async function inviteInSync(user: RoomClient, roomId: string): Promise<true | undefined> {
  const res = await user.request('GET', `${CS}/sync`);
  return res.body.rooms?.invite?.[roomId] ? true : undefined;
}

describe.each(Array.from({ length: 12 }, (_, i) => String(i + 1)))('room version %s', (version) => {
  const byAlias = Number(version) % 2 === 1;
  let roomId: string;

  it('hs2 joins the hs1 room remotely', async () => {
    roomId = await alice.createRoomOk({ preset: 'public_chat', room_version: version, ...(byAlias ? { room_alias_name: `room-v${version}` } : {}) });
    const joined = byAlias ? await bob.join(`#room-v${version}:hs1.test`) : await bob.request('POST', `${CS}/join/${enc(roomId)}?via=hs1.test`, {});
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(joined.body.room_id).toBe(roomId);
    await waitForMembership(alice, roomId, bob.userId, 'join');
  });

  it('chat both ways: both sides see both messages, in the same order', async () => {
    await alice.sendOk(roomId, `hello from hs1 (v${version})`);
    await waitForMessage(bob, roomId, `hello from hs1 (v${version})`);
    await bob.sendOk(roomId, `hello from hs2 (v${version})`);
    await waitForMessage(alice, roomId, `hello from hs2 (v${version})`);
    const [seenByA, seenByB] = await Promise.all([timeline(alice, roomId), timeline(bob, roomId)]);
    const bodies = (t: typeof seenByA) => t.filter((e) => e.body !== undefined).map((e) => `${e.eventId} ${e.body}`);
    // hs2 has the room from its join on; what both have must agree.
    expect(bodies(seenByB)).toEqual(bodies(seenByA).slice(-bodies(seenByB).length));
  });

  it('hs1 invites hs3, which joins; all three agree on the state', async () => {
    const invited = await alice.invite(roomId, carol.userId);
    expect(invited.status, JSON.stringify(invited.body)).toBe(200);
    await waitFor('the invite in hs3 sync', () => inviteInSync(carol, roomId));
    await waitForMembership(bob, roomId, carol.userId, 'invite');
    const joined = await carol.joinById(roomId);
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    await Promise.all([waitForMembership(alice, roomId, carol.userId, 'join'), waitForMembership(bob, roomId, carol.userId, 'join')]);
    await carol.sendOk(roomId, `hello from hs3 (v${version})`);
    await Promise.all([waitForMessage(alice, roomId, `hello from hs3 (v${version})`), waitForMessage(bob, roomId, `hello from hs3 (v${version})`)]);
    const expected = await stateIds(alice, roomId);
    await waitFor('hs2 and hs3 to agree with hs1 on the state', async () => {
      const [b, c] = await Promise.all([stateIds(bob, roomId), stateIds(carol, roomId)]);
      return JSON.stringify(b) === JSON.stringify(expected) && JSON.stringify(c) === JSON.stringify(expected) ? true : undefined;
    });
  });

  it('kick and ban across servers', async () => {
    expect((await alice.kick(roomId, bob.userId, 'out')).status).toBe(200);
    await Promise.all([waitForMembership(carol, roomId, bob.userId, 'leave')]);
    // bob's own server hears of the kick (it is sent to the kicked member's server too).
    await waitFor('hs2 to see the kick', async () => ((await bob.request('GET', `${CS}/joined_rooms`)).body.joined_rooms.includes(roomId) ? undefined : true));
    const rejoined = await bob.request('POST', `${CS}/join/${enc(roomId)}?via=hs1.test`, {});
    expect(rejoined.status, JSON.stringify(rejoined.body)).toBe(200);
    await waitForMembership(alice, roomId, bob.userId, 'join');

    expect((await alice.ban(roomId, carol.userId, 'spam')).status).toBe(200);
    await waitForMembership(bob, roomId, carol.userId, 'ban');
    await waitFor('hs3 to see the ban', async () => ((await carol.request('GET', `${CS}/joined_rooms`)).body.joined_rooms.includes(roomId) ? undefined : true));
    const refused = await carol.request('POST', `${CS}/join/${enc(roomId)}?via=hs1.test`, {});
    expect(refused.status).toBe(403);
    expect(await membershipOf(alice, roomId, carol.userId)).toBe('ban');
  });
});
