// Backfill on /messages: a user of hs2 joins an hs1 room with history; paginating backwards past
// the join fetches the earlier events from hs1 (GET /backfill), which then read like any history,
// and an incremental /sync does not report them as new.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CS } from '../support/client.js';
import { enc, type RoomClient } from '../rooms/helpers.js';
import { Cluster, waitForMembership } from './support/cluster.js';

let cluster: Cluster;
let alice: RoomClient; // hs1.test
let bob: RoomClient; // hs2.test

beforeAll(async () => {
  cluster = await Cluster.start(2);
  [alice, bob] = await Promise.all([cluster.user(0, 'alice'), cluster.user(1, 'bob')]);
}, 60_000);

afterAll(() => cluster?.stop());

/** Every message body bob can page back to, oldest first, following `end` tokens. */
async function pageBackAll(user: RoomClient, roomId: string): Promise<string[]> {
  const bodies: string[] = [];
  let from: string | undefined;
  for (let page = 0; page < 20; page++) {
    const res = await user.request('GET', `${CS}/rooms/${enc(roomId)}/messages?dir=b&limit=10${from ? `&from=${enc(from)}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (const e of res.body.chunk as { type: string; content: { body?: string } }[]) if (e.type === 'm.room.message' && e.content.body) bodies.push(e.content.body);
    if (res.body.end === undefined) break;
    from = res.body.end;
  }
  return bodies.reverse();
}

/** Every event ID the user can page back to, oldest first, with its type. */
async function pageBackEvents(user: RoomClient, roomId: string): Promise<string[]> {
  const events: string[] = [];
  let from: string | undefined;
  for (let page = 0; page < 40; page++) {
    const res = await user.request('GET', `${CS}/rooms/${enc(roomId)}/messages?dir=b&limit=10${from ? `&from=${enc(from)}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (const e of res.body.chunk as { type: string; event_id: string }[]) events.push(`${e.type} ${e.event_id}`);
    if (res.body.end === undefined) break;
    from = res.body.end;
  }
  return events.reverse();
}

describe('backfill', () => {
  it('pages back to the room creation, state events included, as the resident server shows it', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat', room_version: '12', name: 'old', topic: 'old topic' });
    for (let i = 0; i < 12; i++) await alice.sendOk(roomId, `m ${i}`);
    const topic = await alice.request('PUT', `${CS}/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: 'newer topic' });
    expect(topic.status).toBe(200);
    for (let i = 12; i < 20; i++) await alice.sendOk(roomId, `m ${i}`);

    expect((await bob.request('POST', `${CS}/join/${enc(roomId)}?via=hs1.test`, {})).status).toBe(200);
    await waitForMembership(alice, roomId, bob.userId, 'join');
    const [fromAlice, fromBob] = [await pageBackEvents(alice, roomId), await pageBackEvents(bob, roomId)];
    expect(fromBob[0]).toMatch(/^m\.room\.create /);
    expect(fromBob.filter((e) => e.startsWith('m.room.topic ')).length).toBe(2);
    expect(fromBob).toEqual(fromAlice);
  });

  it('pages back into history from before the join', async () => {
    const roomId = await alice.createRoomOk({ preset: 'public_chat', room_version: '11' });
    const history = Array.from({ length: 25 }, (_, i) => `history ${i}`);
    for (const body of history) await alice.sendOk(roomId, body);

    expect((await bob.request('POST', `${CS}/join/${enc(roomId)}?via=hs1.test`, {})).status).toBe(200);
    await waitForMembership(alice, roomId, bob.userId, 'join');
    const initial = await bob.request('GET', `${CS}/sync`);
    const since = initial.body.next_batch as string;

    const seen = await pageBackAll(bob, roomId);
    expect(seen).toEqual(history);

    // The backfilled events are history, not news.
    await alice.sendOk(roomId, 'fresh');
    let timeline: { content: { body?: string } }[] = [];
    for (let i = 0; i < 50 && !timeline.some((e) => e.content.body === 'fresh'); i++) {
      const res = await bob.request('GET', `${CS}/sync?since=${enc(since)}&timeout=1000`);
      timeline = [...timeline, ...((res.body.rooms?.join?.[roomId]?.timeline?.events ?? []) as { content: { body?: string } }[])];
    }
    expect(timeline.map((e) => e.content.body).filter((b) => b !== undefined)).toEqual(['fresh']);
  });
});
