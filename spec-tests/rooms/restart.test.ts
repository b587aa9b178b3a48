// Rooms survive a restart: state, membership, aliases, transaction IDs, and the DAG keeps growing.
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CS, login, type Session } from '../support/client.js';
import { makeTempDir, startTestServer } from '../support/server.js';
import { RoomClient, enc, newUser } from './helpers.js';

describe('restart', () => {
  it('keeps rooms', async () => {
    const dataDir = makeTempDir();
    try {
      const first = await startTestServer({ dataDir });
      const alice = await newUser(first.client, 'alice');
      const bob = await newUser(first.client, 'bob');
      const roomId = await alice.createRoomOk({ room_version: '12', preset: 'public_chat', name: 'Durable', room_alias_name: 'durable' });
      await bob.joinById(roomId);
      const sent = await alice.send(roomId, { msgtype: 'm.text', body: 'before restart' }, 'm.room.message', 'restart-txn');
      expect(sent.status).toBe(200);
      await first.stop();

      const second = await startTestServer({ dataDir });
      try {
        const relog = async (name: string, userId: string): Promise<RoomClient> => {
          const res = await login(second.client, name, 'password');
          const session: Session = { userId, accessToken: res.body.access_token, deviceId: res.body.device_id };
          return new RoomClient(second.client, session);
        };
        // The same device keeps its transaction IDs.
        const aliceAgain = new RoomClient(second.client, alice.session);
        const bobAgain = await relog('bob', bob.userId);

        expect((await aliceAgain.getState(roomId, 'm.room.name')).body).toEqual({ name: 'Durable' });
        expect((await bobAgain.joinedRooms()).body.joined_rooms).toEqual([roomId]);
        expect((await second.client.get(`${CS}/directory/room/${enc('#durable:localhost')}`)).body.room_id).toBe(roomId);
        const retried = await aliceAgain.send(roomId, { msgtype: 'm.text', body: 'before restart' }, 'm.room.message', 'restart-txn');
        expect(retried.body.event_id).toBe(sent.body.event_id);
        expect((await bobAgain.event(roomId, sent.body.event_id)).body.content.body).toBe('before restart');

        const after = await bobAgain.sendOk(roomId, 'after restart');
        expect((await aliceAgain.event(roomId, after)).body.sender).toBe(bob.userId);
        expect((await aliceAgain.members(roomId, { membership: 'join' })).body.chunk).toHaveLength(2);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
