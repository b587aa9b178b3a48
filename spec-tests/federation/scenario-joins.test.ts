// Joining rooms across servers: make_join/send_join for every room version, by alias and by ID.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoomClient } from '../rooms/helpers.js';
import { Cluster, membershipOf, stateIds, waitForMembership } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test
let bob: RoomClient; // hs2.test

beforeAll(async () => {
  cluster = await Cluster.start(2);
  alice = await cluster.user(0, 'alice');
  bob = await cluster.user(1, 'bob');
}, 60_000);

afterAll(() => cluster?.stop());

describe('remote join', () => {
  for (let v = 1; v <= 12; v++) {
    it(`joins a v${v} room`, async () => {
      const byAlias = v % 2 === 1;
      const roomId = await alice.createRoomOk({ preset: 'public_chat', room_version: String(v), ...(byAlias ? { room_alias_name: `v${v}` } : {}) });
      const res = byAlias
        ? await bob.join(`#v${v}:hs1.test`)
        : await bob.request('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=hs1.test`, {});
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.room_id).toBe(roomId);
      expect(await membershipOf(bob, roomId, bob.userId)).toBe('join');
      await waitForMembership(alice, roomId, bob.userId, 'join');
      expect(await stateIds(bob, roomId)).toEqual(await stateIds(alice, roomId));
    });
  }
});
