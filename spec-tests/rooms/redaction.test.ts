// Redactions (redaction.yaml): who may redact, what clients see afterwards, per room version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectError, newUser, type RoomClient } from './helpers.js';

let server: TestServer;
let alice: RoomClient;
let bob: RoomClient;
beforeAll(async () => {
  server = await startTestServer();
  alice = await newUser(server.client, 'alice');
  bob = await newUser(server.client, 'bob');
});
afterAll(() => server.stop());

describe.each(['1', '10', '11', '12'])('redaction in room version %s', (version) => {
  it('the sender redacts their own event; clients get redacted content and redacted_because', async () => {
    const roomId = await alice.createRoomOk({ room_version: version, preset: 'public_chat' });
    await bob.joinById(roomId);
    const target = await bob.sendOk(roomId, 'oops, my password');
    const res = await bob.redact(roomId, target, 'typo');
    expect(res.status).toBe(200);
    const redactionId = res.body.event_id as string;

    const seen = await alice.event(roomId, target);
    expect(seen.status).toBe(200);
    expect(seen.body.content).toEqual({});
    expect(seen.body.unsigned.redacted_because).toMatchObject({ event_id: redactionId, type: 'm.room.redaction', sender: bob.userId, content: { reason: 'typo' } });

    // The redaction names its target where the room version keeps it.
    const redaction = await alice.event(roomId, redactionId);
    if (Number(version) >= 11) expect(redaction.body.content.redacts).toBe(target);
    expect(redaction.body.redacts).toBe(target);
  });

  it("others' events need the redact level", async () => {
    const roomId = await alice.createRoomOk({ room_version: version, preset: 'public_chat' });
    await bob.joinById(roomId);
    const aliceEvent = await alice.sendOk(roomId, 'from alice');
    const bobEvent = await bob.sendOk(roomId, 'from bob');
    expectError(await bob.redact(roomId, aliceEvent), 403, 'M_FORBIDDEN');
    expect((await alice.event(roomId, aliceEvent)).body.content.body).toBe('from alice');
    expect((await alice.redact(roomId, bobEvent, 'moderation')).status).toBe(200);
    expect((await bob.event(roomId, bobEvent)).body.content).toEqual({});
  });
});

describe('redaction details', () => {
  it('is idempotent per transaction ID and keeps protected state content', async () => {
    const roomId = await alice.createRoomOk({ room_version: '11', preset: 'public_chat', name: 'Secret name' });
    const state = (await alice.allState(roomId)).body as { type: string; event_id: string }[];
    const joinRules = state.find((e) => e.type === 'm.room.join_rules')!.event_id;
    const name = state.find((e) => e.type === 'm.room.name')!.event_id;

    const first = await alice.redact(roomId, name, undefined, 'redact-txn');
    const again = await alice.redact(roomId, name, undefined, 'redact-txn');
    expect(again.body.event_id).toBe(first.body.event_id);

    // Redacted state stays in state with its content redacted; join_rule survives redaction.
    expect((await alice.getState(roomId, 'm.room.name')).body).toEqual({});
    await alice.redact(roomId, joinRules);
    expect((await alice.getState(roomId, 'm.room.join_rules')).body).toEqual({ join_rule: 'public' });
    // And the room still works by its (unchanged) rules.
    expect((await bob.joinById(roomId)).status).toBe(200);
  });

  it('unknown events and non-members', async () => {
    const roomId = await alice.createRoomOk({});
    const eventId = await alice.sendOk(roomId, 'x');
    expectError(await alice.redact(roomId, '$missing'), 404, 'M_NOT_FOUND');
    expectError(await bob.redact(roomId, eventId), 403, 'M_FORBIDDEN');
  });

  it('a redaction sent through /send with content.redacts (v11+) works like one', async () => {
    const roomId = await alice.createRoomOk({ room_version: '11' });
    const eventId = await alice.sendOk(roomId, 'x');
    const res = await alice.send(roomId, { redacts: eventId, reason: 'via send' }, 'm.room.redaction');
    expect(res.status).toBe(200);
    expect((await alice.event(roomId, eventId)).body.content).toEqual({});
    expectError(await alice.send(roomId, { reason: 'nothing' }, 'm.room.redaction'), 400, 'M_BAD_JSON');
  });
});
