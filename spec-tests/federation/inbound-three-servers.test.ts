// Room events between three real Lattice instances (hs1/hs2/hs3 on 127.0.0.1/.2/.3 over TLS):
// each server's events reach the others through its outbound queue and their /send pipeline,
// in every room version; concurrent senders fork the DAG and every server converges on the
// same timeline and state; a kicked server hears of its kick.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoomClient } from '../rooms/helpers.js';
import { Cluster, stateIds, waitFor, waitForMembership } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test
let bob: RoomClient; // hs2.test
let carol: RoomClient; // hs3.test

beforeAll(async () => {
  cluster = await Cluster.start(3);
  [alice, bob, carol] = await Promise.all([cluster.user(0, 'alice'), cluster.user(1, 'bob'), cluster.user(2, 'carol')]);
}, 60_000);

afterAll(() => cluster?.stop());

/** A public room of alice's with bob and carol joined, as all three servers see it. */
async function sharedRoom(version: string, extra: Record<string, unknown> = {}): Promise<string> {
  const roomId = await alice.createRoomOk({ preset: 'public_chat', room_version: version, ...extra });
  for (const user of [bob, carol]) {
    const res = await user.request('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=hs1.test`, {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  for (const viewer of [alice, bob, carol]) for (const member of [bob, carol]) await waitForMembership(viewer, roomId, member.userId, 'join');
  return roomId;
}

/** Waits until every viewer's server shows the event (GET /rooms/{roomId}/event/{eventId}). */
async function everyoneSees(roomId: string, eventIds: readonly string[], viewers: readonly RoomClient[] = [alice, bob, carol]): Promise<void> {
  for (const viewer of viewers) {
    for (const eventId of eventIds) {
      await waitFor(`${eventId} to reach ${viewer.userId}`, async () => ((await viewer.event(roomId, eventId)).status === 200 ? true : undefined));
    }
  }
}

async function converged(roomId: string): Promise<void> {
  await waitFor('the three servers to agree on the state', async () => {
    const [a, b, c] = await Promise.all([stateIds(alice, roomId), stateIds(bob, roomId), stateIds(carol, roomId)]);
    return JSON.stringify(a) === JSON.stringify(b) && JSON.stringify(b) === JSON.stringify(c) ? true : undefined;
  });
}

describe('chat both ways, every room version', () => {
  for (let v = 1; v <= 12; v++) {
    it(`v${v}`, async () => {
      const roomId = await sharedRoom(String(v));
      const sent = [await bob.sendOk(roomId, `bob in v${v}`), await carol.sendOk(roomId, `carol in v${v}`), await alice.sendOk(roomId, `alice in v${v}`)];
      await everyoneSees(roomId, sent);
      const seen = await alice.event(roomId, sent[0]!);
      expect(seen.body.content.body).toBe(`bob in v${v}`);
      await converged(roomId);
    });
  }
});

describe('forks and state', () => {
  it('concurrent senders on three servers converge on one timeline and one state', async () => {
    // Anyone may change state here, so two servers can fight over the topic.
    const roomId = await sharedRoom('12', { power_level_content_override: { state_default: 0 } });
    const sent: string[] = [];
    await Promise.all(
      [alice, bob, carol].map(async (user, u) => {
        for (let i = 0; i < 4; i++) sent.push(await user.sendOk(roomId, `fork ${u}.${i}`));
      }),
    );
    // Concurrent state changes too: the topic is set on two servers at once.
    const topics = await Promise.all([alice.putState(roomId, 'm.room.topic', '', { topic: 'by alice' }), bob.putState(roomId, 'm.room.topic', '', { topic: 'by bob' })]);
    for (const t of topics) expect(t.status, JSON.stringify(t.body)).toBe(200);
    sent.push(...topics.map((t) => t.body.event_id as string));
    sent.push(await alice.sendOk(roomId, 'merge'), await bob.sendOk(roomId, 'merge again'));
    await everyoneSees(roomId, sent);
    await converged(roomId);
    const topic = await Promise.all([alice, bob, carol].map(async (viewer) => (await viewer.getState(roomId, 'm.room.topic')).body.topic as string));
    expect(new Set(topic).size).toBe(1);
  });

  it('a kick across servers reaches the kicked server, and its user can no longer send', async () => {
    const roomId = await sharedRoom('10');
    expect((await alice.kick(roomId, carol.userId, 'out')).status).toBe(200);
    await waitForMembership(carol, roomId, carol.userId, 'leave');
    await waitForMembership(bob, roomId, carol.userId, 'leave');
    expect((await carol.send(roomId, { msgtype: 'm.text', body: 'still here?' })).status).toBe(403);
    await everyoneSees(roomId, [await bob.sendOk(roomId, 'carol is gone')], [alice, bob]);
    await converged(roomId);
  });
});
