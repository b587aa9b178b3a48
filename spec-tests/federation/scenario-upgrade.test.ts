// Room upgrades across servers: the tombstone reaches the other servers, their users follow it
// into the replacement room (a remote join through the upgrading server), the replacement names
// its predecessor, and the room's alias now leads there. Both directions: the room's creator
// upgrades it, and a member on another server does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS } from '../support/client.js';
import { enc, type RoomClient } from '../rooms/helpers.js';
import { Cluster, waitFor, waitForMembership, waitForMessage } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test
let bob: RoomClient; // hs2.test

beforeAll(async () => {
  cluster = await Cluster.start(2);
  [alice, bob] = await Promise.all([cluster.user(0, 'alice'), cluster.user(1, 'bob')]);
}, 60_000);

afterAll(() => cluster?.stop());

/** Waits until `user` sees the old room's tombstone; returns the replacement room's ID. */
function tombstoneSeenBy(user: RoomClient, roomId: string): Promise<string> {
  return waitFor(`${user.userId} to see the tombstone`, async () => {
    const res = await user.getState(roomId, 'm.room.tombstone');
    return res.status === 200 ? (res.body.replacement_room as string) : undefined;
  });
}

/** The client's part of following a tombstone: join the replacement through the tombstone's server. */
async function follow(user: RoomClient, replacement: string, via: string): Promise<void> {
  const joined = await user.request('POST', `${CS}/join/${enc(replacement)}?via=${via}`, {});
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
}

describe('room upgrades across servers', () => {
  it('the creator upgrades; the remote member follows into the new room', async () => {
    const oldRoom = await alice.createRoomOk({ preset: 'public_chat', room_version: '10', room_alias_name: 'upgraded', name: 'Old' });
    expect((await bob.join('#upgraded:hs1.test')).status).toBe(200);
    await waitForMembership(alice, oldRoom, bob.userId, 'join');

    const upgraded = await alice.request('POST', `${CS}/rooms/${enc(oldRoom)}/upgrade`, { new_version: '12' });
    expect(upgraded.status, JSON.stringify(upgraded.body)).toBe(200);
    const newRoom = upgraded.body.replacement_room as string;
    expect(await tombstoneSeenBy(bob, oldRoom)).toBe(newRoom);

    await follow(bob, newRoom, 'hs1.test');
    await waitForMembership(alice, newRoom, bob.userId, 'join');
    const create = await bob.getState(newRoom, 'm.room.create');
    expect(create.body.predecessor).toMatchObject({ room_id: oldRoom });
    expect(create.body.room_version).toBe('12');
    expect((await bob.getState(newRoom, 'm.room.name')).body).toEqual({ name: 'Old' });
    // The alias moved with the room, as hs2 learns when it asks hs1.
    expect((await bob.request('GET', `${CS}/directory/room/${enc('#upgraded:hs1.test')}`)).body.room_id).toBe(newRoom);

    await bob.sendOk(newRoom, 'made it across');
    await waitForMessage(alice, newRoom, 'made it across');
    // The old room refuses new messages from those without the power to speak after the tombstone.
    const oldPl = await alice.getState(oldRoom, 'm.room.power_levels');
    expect(oldPl.body.events_default).toBeGreaterThanOrEqual(50);
  });

  it('a member on another server upgrades; the creator follows into a room hs2 made', async () => {
    const oldRoom = await alice.createRoomOk({ preset: 'public_chat', room_version: '9', power_level_content_override: { users: { [alice.userId]: 100, [bob.userId]: 100 } } });
    expect((await bob.request('POST', `${CS}/join/${enc(oldRoom)}?via=hs1.test`, {})).status).toBe(200);
    await waitForMembership(alice, oldRoom, bob.userId, 'join');

    const upgraded = await bob.request('POST', `${CS}/rooms/${enc(oldRoom)}/upgrade`, { new_version: '11' });
    expect(upgraded.status, JSON.stringify(upgraded.body)).toBe(200);
    const newRoom = upgraded.body.replacement_room as string;
    expect(newRoom.endsWith(':hs2.test')).toBe(true);
    expect(await tombstoneSeenBy(alice, oldRoom)).toBe(newRoom);

    await follow(alice, newRoom, 'hs2.test');
    await waitForMembership(bob, newRoom, alice.userId, 'join');
    await alice.sendOk(newRoom, 'hello in the room hs2 made');
    await waitForMessage(bob, newRoom, 'hello in the room hs2 made');
  });
});

describe.each(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11'])('upgrading a room of version %s to 12 across servers', (version) => {
  it('the tombstone reaches the remote member, who follows and chats in the new room', async () => {
    const oldRoom = await alice.createRoomOk({ preset: 'public_chat', room_version: version });
    expect((await bob.request('POST', `${CS}/join/${enc(oldRoom)}?via=hs1.test`, {})).status).toBe(200);
    await waitForMembership(alice, oldRoom, bob.userId, 'join');

    const upgraded = await alice.request('POST', `${CS}/rooms/${enc(oldRoom)}/upgrade`, { new_version: '12' });
    expect(upgraded.status, JSON.stringify(upgraded.body)).toBe(200);
    const newRoom = upgraded.body.replacement_room as string;
    expect(await tombstoneSeenBy(bob, oldRoom)).toBe(newRoom);
    await follow(bob, newRoom, 'hs1.test');
    expect((await bob.getState(newRoom, 'm.room.create')).body.predecessor).toMatchObject({ room_id: oldRoom });
    await bob.sendOk(newRoom, `upgraded from v${version}`);
    await waitForMessage(alice, newRoom, `upgraded from v${version}`);
  });
});
