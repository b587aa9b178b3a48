// Rejecting a remote invite when no server of the room can be reached: the inviter's server is
// down, so make_leave/send_leave cannot happen; as Synapse does, the invitee's server rejects the
// invite locally (an out-of-band leave), the client hears 200 and sync moves the room from
// `invite` to `leave`. A later invite from the room still arrives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS } from '../support/client.js';
import type { RoomClient } from '../rooms/helpers.js';
import { Cluster, waitFor } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test
let carol: RoomClient; // hs2.test

beforeAll(async () => {
  cluster = await Cluster.start(2);
  alice = await cluster.user(0, 'alice');
  carol = await cluster.user(1, 'carol');
}, 60_000);

afterAll(() => cluster?.stop());

interface SyncBody {
  next_batch: string;
  rooms?: { invite?: Record<string, unknown>; leave?: Record<string, unknown> };
}

async function sync(user: RoomClient, since?: string): Promise<SyncBody> {
  const res = await user.request('GET', `${CS}/sync${since === undefined ? '' : `?since=${encodeURIComponent(since)}&timeout=0`}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as SyncBody;
}

describe('rejecting an invite while the room is unreachable', () => {
  it('rejects it locally: 200, and the room moves from invite to leave in sync', async () => {
    const roomId = await alice.createRoomOk({ preset: 'private_chat', name: 'Unreachable', room_version: '11' });
    expect((await alice.invite(roomId, carol.userId)).status).toBe(200);
    const invited = await waitFor('the invite in carol\'s sync', async () => {
      const body = await sync(carol);
      return body.rooms?.invite?.[roomId] !== undefined ? body : undefined;
    });

    await cluster.stopNode(0);
    const rejected = await carol.leave(roomId, 'cannot reach you anyway');
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);

    const after = await sync(carol, invited.next_batch);
    expect(after.rooms?.invite?.[roomId]).toBeUndefined();
    expect(after.rooms?.leave?.[roomId]).toBeDefined();
    expect((await sync(carol)).rooms?.invite?.[roomId]).toBeUndefined();
    // Leaving again is a no-op, not an error.
    expect((await carol.leave(roomId)).status).toBe(200);

    // hs1 comes back, never having heard of the rejection: a new invite reaches carol again.
    await cluster.restartNode(0);
    alice = cluster.rebind(0, alice);
    expect((await alice.invite(roomId, carol.userId)).status).toBe(200);
    await waitFor('the new invite in carol\'s sync', async () => ((await sync(carol)).rooms?.invite?.[roomId] !== undefined ? true : undefined));
  }, 90_000);
});
