// Catch-up after an outage: hs2 is down while alice on hs1 sends more than 100 messages. hs1's
// queue collapses them to stepping stones instead of keeping every one; once hs2 is back it
// receives the stones and fills each gap with /get_missing_events, ending with every message in
// its timeline, in order, and the same state as hs1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS } from '../support/client.js';
import { enc, type RoomClient } from '../rooms/helpers.js';
import { Cluster, stateIds, timeline, waitFor, waitForMembership } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test
let bob: RoomClient; // hs2.test

beforeAll(async () => {
  cluster = await Cluster.start(2);
  [alice, bob] = await Promise.all([cluster.user(0, 'alice'), cluster.user(1, 'bob')]);
}, 60_000);

afterAll(() => cluster?.stop());

describe('catch-up after an outage', () => {
  it('a peer that missed 120 events ends with every one of them in its DAG and timeline', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat', name: 'Catch-up' });
    expect((await bob.request('POST', `${CS}/join/${enc(roomId)}?via=hs1.test`, {})).status).toBe(200);
    await waitForMembership(alice, roomId, bob.userId, 'join');
    // Some history both hold, so the outage is not at the start of the room (where a client's
    // backwards pagination would backfill it anyway).
    let last = '';
    for (let i = 0; i < 30; i++) last = await alice.sendOk(roomId, `before ${i}`);
    await waitFor('the history on hs2', async () => ((await bob.event(roomId, last)).status === 200 ? true : undefined));

    await cluster.stopNode(1);
    const sent: string[] = [];
    for (let i = 0; i < 120; i++) sent.push(await alice.sendOk(roomId, `m${i}`));
    const topic = await alice.putState(roomId, 'm.room.topic', '', { topic: 'set while hs2 was away' });
    expect(topic.status).toBe(200);
    sent.push(topic.body.event_id);

    // hs1 did not keep 121 PDUs for hs2: about one per 10 events.
    const queue = cluster.server(0).homeserver.services.federation.outboundQueue;
    await waitFor('hs2 to be backing off', async () => queue.backoffState('hs2.test') ?? undefined);
    const queued = queue.pendingCount('hs2.test', 'pdu');
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThanOrEqual(30);

    await cluster.restartNode(1);
    bob = cluster.rebind(1, bob);
    await waitFor('hs1 to have sent everything', async () => (queue.pendingCount('hs2.test') === 0 ? true : undefined), 60_000);

    // Every event is a timeline event on hs2 (GET /event reads only what hs2 holds, and refuses
    // outliers and rejected events): no gap was papered over with /state_ids.
    const missing = await waitFor(
      'every event on hs2',
      async () => {
        const statuses = await Promise.all(sent.map(async (id) => [id, (await bob.event(roomId, id)).status] as const));
        const absent = statuses.filter(([, status]) => status !== 200).map(([id]) => id);
        return absent.length === 0 ? absent : undefined;
      },
      30_000,
    );
    expect(missing).toEqual([]);
    const messages = (await timeline(bob, roomId, 500)).filter((e) => e.type === 'm.room.message' && e.body?.startsWith('m'));
    expect(messages.map((e) => e.eventId)).toEqual(sent.slice(0, 120));
    expect(await stateIds(bob, roomId)).toEqual(await stateIds(alice, roomId));
  }, 120_000);
});
