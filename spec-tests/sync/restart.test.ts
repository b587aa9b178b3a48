// Sync tokens outlive the process: positions come from the database (events, account data,
// receipts, presence) or restart past any earlier one (typing).
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CS, registerUser } from '../support/client.js';
import { makeTempDir, startTestServer } from '../support/server.js';
import { bodies, createRoom, join, roomPath, send, sync, timelineOf } from './helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a sync token across a restart', () => {
  it('continues exactly where it left off', async () => {
    const dataDir = makeTempDir();
    dirs.push(dataDir);
    const first = await startTestServer({ dataDir });
    const alice = await registerUser(first.client, 'alice', 'pw');
    const bob = await registerUser(first.client, 'bob', 'pw');
    const roomId = await createRoom(first.client, alice, { preset: 'public_chat' });
    await join(first.client, bob, roomId);
    const before = await send(first.client, alice, roomId, 'before restart');
    await first.client.put(roomPath(roomId, `/typing/${encodeURIComponent(alice.userId)}`), { typing: true, timeout: 60_000 }, { token: alice.accessToken });
    await first.client.post(roomPath(roomId, `/receipt/m.read/${encodeURIComponent(before)}`), {}, { token: alice.accessToken });
    const token = (await sync(first.client, bob)).body.next_batch as string;
    await first.stop();

    const second = await startTestServer({ dataDir });
    try {
      await send(second.client, alice, roomId, 'after restart');
      await second.client.put(`${CS}/user/${encodeURIComponent(bob.userId)}/account_data/org.example.after`, { ok: true }, { token: bob.accessToken });
      const res = await sync(second.client, bob, { since: token });
      expect(bodies(timelineOf(res.body, roomId))).toEqual(['after restart']);
      expect(res.body.account_data.events).toEqual([{ type: 'org.example.after', content: { ok: true } }]);
      const ephemeral = res.body.rooms.join[roomId].ephemeral.events as { type: string; content: Record<string, unknown> }[];
      // Receipts written before the restart are not sent again; typing (in memory) starts empty.
      expect(ephemeral.find((e) => e.type === 'm.receipt')).toBeUndefined();
      expect(ephemeral.find((e) => e.type === 'm.typing')?.content ?? { user_ids: [] }).toEqual({ user_ids: [] });
      // And the new token keeps working.
      const quiet = await sync(second.client, bob, { since: res.body.next_batch });
      expect(quiet.body.rooms?.join?.[roomId]).toBeUndefined();
    } finally {
      await second.stop();
    }
  });
});
