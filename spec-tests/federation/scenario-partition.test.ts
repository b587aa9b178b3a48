// Partition: hs3 is cut off while hs1 and hs2 keep talking and change state concurrently; then
// hs1 and hs2 are down while hs3 talks and changes the same state. Once everyone is back, the
// outbound queues deliver what waited, gaps are filled (get_missing_events), the forks are
// resolved, and all three servers end with the same current state and the same events: nothing
// sent on either side is lost.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CS } from '../support/client.js';
import { enc, type RoomClient } from '../rooms/helpers.js';
import { Cluster, stateIds, timeline, waitFor, waitForMembership } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test
let bob: RoomClient; // hs2.test
let carol: RoomClient; // hs3.test

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

describe.each(['5', '12'])('room version %s', (version) => {
  it('all servers converge after a partition, with nothing lost', async () => {
    const roomId = await alice.createRoomOk({
      preset: 'public_chat',
      room_version: version,
      name: 'Before',
      power_level_content_override: { users: { ...(version === '12' ? {} : { [alice.userId]: 100 }), [bob.userId]: 50, [carol.userId]: 50 } },
    });
    for (const user of [bob, carol]) expect((await user.request('POST', `${CS}/join/${enc(roomId)}?via=hs1.test`, {})).status).toBe(200);
    await Promise.all([waitForMembership(alice, roomId, carol.userId, 'join'), waitForMembership(bob, roomId, carol.userId, 'join')]);
    const marker = await carol.sendOk(roomId, 'everyone is here');
    await Promise.all([alice, bob].map((u) => waitFor('the marker', async () => (await timeline(u, roomId)).some((e) => e.eventId === marker) || undefined)));

    // hs3 is cut off. hs1 and hs2 chat and change the same state at the same time.
    await cluster.stopNode(2);
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      sent.push(await alice.sendOk(roomId, `a${i}`));
      sent.push(await bob.sendOk(roomId, `b${i}`));
    }
    const [topicA, topicB] = await Promise.all([
      alice.putState(roomId, 'm.room.topic', '', { topic: 'from hs1' }),
      bob.putState(roomId, 'm.room.topic', '', { topic: 'from hs2' }),
    ]);
    expect([topicA.status, topicB.status]).toEqual([200, 200]);
    const name = await bob.putState(roomId, 'm.room.name', '', { name: 'Named on hs2' });
    expect(name.status).toBe(200);
    sent.push(topicA.body.event_id, topicB.body.event_id, name.body.event_id);

    // Now hs1 and hs2 are down and hs3 is back: it talks and changes the topic too.
    await cluster.stopNode(0);
    await cluster.stopNode(1);
    await cluster.restartNode(2);
    carol = cluster.rebind(2, carol);
    for (let i = 0; i < 2; i++) sent.push(await carol.sendOk(roomId, `c${i}`));
    const topicC = await carol.putState(roomId, 'm.room.topic', '', { topic: 'from hs3' });
    expect(topicC.status).toBe(200);
    sent.push(topicC.body.event_id);

    // Everyone is back.
    await cluster.restartNode(0);
    await cluster.restartNode(1);
    alice = cluster.rebind(0, alice);
    bob = cluster.rebind(1, bob);

    const users = [alice, bob, carol];
    const state = await waitFor(
      'the same state on all three servers',
      async () => {
        const states = await Promise.all(users.map((u) => stateIds(u, roomId)));
        return states.every((s) => JSON.stringify(s) === JSON.stringify(states[0])) ? states[0] : undefined;
      },
      30_000,
    );
    expect(state['m.room.name|']).toBeDefined();
    expect(state['m.room.topic|']).toBeDefined();

    // One more message from each side merges the branches; then every server holds every event.
    for (const user of users) sent.push(await user.sendOk(roomId, `after ${user.userId}`));
    // Every event sent on either side is visible on every server (GET /event applies the same
    // visibility rules as the timeline: not rejected, not soft-failed, not an outlier).
    await waitFor(
      'every event on every server',
      async () => {
        const visible = await Promise.all(users.flatMap((u) => sent.map(async (id) => (await u.event(roomId, id)).status === 200)));
        return visible.every(Boolean) || undefined;
      },
      30_000,
    );
    const finalStates = await Promise.all(users.map((u) => stateIds(u, roomId)));
    expect(finalStates[1]).toEqual(finalStates[0]);
    expect(finalStates[2]).toEqual(finalStates[0]);
  }, 90_000);
});
