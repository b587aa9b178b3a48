// Presence of users of another server: it keeps what their server last said, across a restart
// of ours (no local offline timers for them), until 30 minutes pass without an update (Synapse's
// FEDERATION_TIMEOUT); and our users who stay present are announced again every 25 minutes, so
// the other server does not time them out in turn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEDERATION_PING_INTERVAL_MS, FEDERATION_TIMEOUT_MS } from '../../src/services/ephemeral/presence.js';
import { CS } from '../support/client.js';
import { enc, type RoomClient } from '../rooms/helpers.js';
import { Cluster, waitFor, waitForMembership } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test
let bob: RoomClient; // hs2.test

beforeAll(async () => {
  cluster = await Cluster.start(2);
  [alice, bob] = await Promise.all([cluster.user(0, 'alice'), cluster.user(1, 'bob')]);
  const roomId = await alice.createRoomOk({ preset: 'public_chat' });
  expect((await bob.request('POST', `${CS}/join/${enc(roomId)}?via=hs1.test`, {})).status).toBe(200);
  await waitForMembership(alice, roomId, bob.userId, 'join');
}, 60_000);

afterAll(() => cluster?.stop());

async function presenceOf(viewer: RoomClient, userId: string): Promise<Record<string, unknown>> {
  const res = await viewer.request('GET', `${CS}/presence/${enc(userId)}/status`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Moves node i's clock and runs its presence timers (they also run every 5 s on their own). */
function advance(i: number, ms: number): void {
  const server = cluster.server(i);
  server.clock.advance(ms);
  server.homeserver.services.presence.tick();
}

describe('presence of remote users', () => {
  it('survives a restart and is timed out only after 30 minutes without news', async () => {
    expect((await bob.request('PUT', `${CS}/presence/${enc(bob.userId)}/status`, { presence: 'online', status_msg: 'on the train' })).status).toBe(200);
    await waitFor('bob online on hs1', async () => ((await presenceOf(alice, bob.userId)).presence === 'online' ? true : undefined));

    await cluster.stopNode(0);
    await cluster.restartNode(0);
    alice = cluster.rebind(0, alice);

    // Our own users' timers would have set him offline 30 s after the restart.
    advance(0, 60_000);
    expect(await presenceOf(alice, bob.userId)).toMatchObject({ presence: 'online', status_msg: 'on the train' });
    advance(0, FEDERATION_TIMEOUT_MS - 2 * 60_000);
    expect((await presenceOf(alice, bob.userId)).presence).toBe('online');
    advance(0, 2 * 60_000);
    expect(await presenceOf(alice, bob.userId)).toMatchObject({ presence: 'offline', status_msg: 'on the train' });
  });

  it('announces our present users again every 25 minutes, even without a change', async () => {
    expect((await bob.request('PUT', `${CS}/presence/${enc(bob.userId)}/status`, { presence: 'unavailable' })).status).toBe(200);
    await waitFor('bob unavailable on hs1', async () => ((await presenceOf(alice, bob.userId)).presence === 'unavailable' ? true : undefined));
    // Alice syncs as offline, so her own presence does not change (and wake bob's sync).
    const initial = await alice.request('GET', `${CS}/sync?timeout=0&set_presence=offline`);
    expect(initial.status).toBe(200);
    const since = String(initial.body.next_batch);

    // Bob keeps a sync open on hs2, so his own server keeps him present.
    const open = bob.request('GET', `${CS}/sync?timeout=3000&since=${encodeURIComponent(String((await bob.request('GET', `${CS}/sync?timeout=0`)).body.next_batch))}`);
    let answered = false;
    void open.then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(answered).toBe(false);
    advance(1, FEDERATION_PING_INTERVAL_MS + 60_000);

    const seen = await waitFor('bob\'s presence again in alice\'s sync', async () => {
      const res = await alice.request('GET', `${CS}/sync?timeout=0&set_presence=offline&since=${encodeURIComponent(since)}`);
      const events = (res.body.presence?.events ?? []) as { sender: string; content: { presence: string } }[];
      return events.find((e) => e.sender === bob.userId);
    });
    expect(seen.content.presence).toBe('unavailable');
    expect((await open).status).toBe(200);
  });
});
