// Power-level fights that need state resolution: hs1 and hs2 change the room's power levels (and
// state that depends on them) concurrently, each without having seen the other's change; once
// they hear of each other, every server must resolve the fork the same way. hs3 stays up the
// whole time and sees both branches arrive.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CS } from '../support/client.js';
import { enc, type RoomClient } from '../rooms/helpers.js';
import { Cluster, stateIds, waitFor, waitForMembership } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test, PL 100
let bob: RoomClient; // hs2.test, PL 50, may change power levels
let carol: RoomClient; // hs3.test, a witness

beforeAll(async () => {
  cluster = await Cluster.start(3);
  [alice, bob, carol] = await Promise.all([cluster.user(0, 'alice'), cluster.user(1, 'bob'), cluster.user(2, 'carol')]);
}, 60_000);

afterAll(() => cluster?.stop());

// A failed test may leave servers down: the next one starts from a whole cluster.
afterEach(async () => {
  await cluster.ensureAllRunning();
  [alice, bob, carol] = [cluster.rebind(0, alice), cluster.rebind(1, bob), cluster.rebind(2, carol)];
});

async function powerLevels(user: RoomClient, roomId: string): Promise<Record<string, unknown>> {
  const res = await user.getState(roomId, 'm.room.power_levels');
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Waits until all three servers report the same current state; returns it. */
async function converged(roomId: string, users: RoomClient[]): Promise<Record<string, string>> {
  return waitFor(
    'every server to reach the same state',
    async () => {
      const states = await Promise.all(users.map((u) => stateIds(u, roomId)));
      const first = JSON.stringify(states[0]);
      return states.every((s) => JSON.stringify(s) === first) ? states[0] : undefined;
    },
    20_000,
  );
}

// State resolution v2 (rooms 2-11) and v2.1 (room 12). Room version 1's algorithm keeps
// unconflicted state without auth checks, so a server that accepted bob's topic before the
// merge would keep it while the others soft-failed it: that divergence is why v2 exists.
describe.each(['2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'])('room version %s', (version) => {
  it('concurrent power-level changes on two servers resolve the same way everywhere', async () => {
    // v12: the creator's power is infinite and never listed.
    const creator = version === '12' ? {} : { [alice.userId]: 100 };
    const roomId = await alice.createRoomOk({
      preset: 'public_chat',
      room_version: version,
      power_level_content_override: { users: { ...creator, [bob.userId]: 50 }, events: { 'm.room.power_levels': 50, 'm.room.topic': 50 } },
    });
    for (const user of [bob, carol]) expect((await user.request('POST', `${CS}/join/${enc(roomId)}?via=hs1.test`, {})).status).toBe(200);
    await Promise.all([waitForMembership(alice, roomId, carol.userId, 'join'), waitForMembership(bob, roomId, carol.userId, 'join')]);
    await converged(roomId, [alice, bob, carol]);

    // hs2 is down: alice demotes bob; the event waits in hs1's queue for hs2.
    await cluster.stopNode(1);
    const demote = await alice.putState(roomId, 'm.room.power_levels', '', {
      ...(await powerLevels(alice, roomId)),
      users: { ...creator, [bob.userId]: 0 },
    });
    expect(demote.status, JSON.stringify(demote.body)).toBe(200);
    await waitFor('hs3 to see the demotion', async () => ((await powerLevels(carol, roomId)).users as Record<string, number>)[bob.userId] === 0 || undefined);

    // hs1 is down, hs2 back: bob, still at 50 as far as hs2 knows, raises carol and sets the topic.
    await cluster.stopNode(0);
    await cluster.restartNode(1);
    bob = cluster.rebind(1, bob);
    const raise = await bob.putState(roomId, 'm.room.power_levels', '', {
      ...(await powerLevels(bob, roomId)),
      users: { ...creator, [bob.userId]: 50, [carol.userId]: 50 },
    });
    expect(raise.status, JSON.stringify(raise.body)).toBe(200);
    expect((await bob.putState(roomId, 'm.room.topic', '', { topic: 'bob was here' })).status).toBe(200);

    // Everyone back: the branches meet.
    await cluster.restartNode(0);
    alice = cluster.rebind(0, alice);
    const state = await converged(roomId, [alice, bob, carol]);
    // The higher-powered sender's change is applied first; bob's then fails the auth checks, and
    // so does his topic, which needed the level he lost.
    expect(state['m.room.power_levels|']).toBe(demote.body.event_id);
    const pl = await powerLevels(carol, roomId);
    expect(pl.users).toEqual({ ...creator, [bob.userId]: 0 });
    expect((await carol.getState(roomId, 'm.room.topic')).status).toBe(404);

    // The room goes on: everyone can still talk and sees everyone.
    await alice.sendOk(roomId, `after the fight (v${version})`);
    await waitFor('the message on hs2 and hs3', async () => {
      const seen = await Promise.all([bob, carol].map(async (u) => (await u.request('GET', `${CS}/rooms/${enc(roomId)}/messages?dir=b&limit=5`)).body.chunk.some((e: { content: { body?: string } }) => e.content.body === `after the fight (v${version})`)));
      return seen.every(Boolean) || undefined;
    });
  }, 60_000);
});
