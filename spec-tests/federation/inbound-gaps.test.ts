// Filling in what an incoming PDU refers to (Lattice hs1.test on 127.0.0.13, scripted peer
// evil.test on 127.0.0.14): unknown auth events fetched, gaps filled with get_missing_events,
// the state before an event taken from /state_ids when the gap stays open; soft failure against
// the current state; server ACLs applied to PDUs, EDUs and reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import type { RoomEvent } from '../../src/core/events/room-event.js';
import { forwardExtremities, wire } from './support/hostile-peer.js';
import { startInboundFixture, text, type InboundFixture } from './support/inbound-fixture.js';

let f: InboundFixture;

beforeAll(async () => {
  f = await startInboundFixture({ latticeHost: '127.0.0.13', peerHost: '127.0.0.14' });
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

function requestsTo(path: string): JsonObject[] {
  return f.peer
    .requests()
    .filter((r) => r.url.startsWith(path))
    .map((r) => ({ url: r.url, body: r.body === '' ? {} : (JSON.parse(r.body) as JsonObject) }));
}

describe('gaps', () => {
  it('fills a gap with get_missing_events and persists the missing events in order', async () => {
    const roomId = await f.roomWithMallory();
    const e1 = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('one') });
    const e2 = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('two') }, { prevEvents: [{ event_id: e1.eventId, depth: e1.event.depth }] });
    const e3 = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('three') }, { prevEvents: [{ event_id: e2.eventId, depth: e2.event.depth }] });
    const extremities = forwardExtremities(f.lattice.homeserver, roomId).map((x) => x.event_id);
    f.peer.script = { missingEvents: () => [wire(e2.pdu), wire(e1.pdu)] };

    const res = await f.send([wire(e3.pdu)]);
    expect(res.body).toEqual({ pdus: { [e3.eventId]: {} } });
    for (const e of [e1, e2, e3]) {
      expect(f.flags(e.eventId)).toMatchObject({ outlier: false, rejected: null, softFailed: false });
      expect((await f.alice.event(roomId, e.eventId)).status).toBe(200);
    }
    const asked = requestsTo(`/_matrix/federation/v1/get_missing_events/${encodeURIComponent(roomId)}`).at(-1)!;
    expect(asked['body']).toMatchObject({ earliest_events: extremities, latest_events: [e3.eventId], limit: 10 });
    expect(forwardExtremities(f.lattice.homeserver, roomId).map((x) => x.event_id)).toEqual([e3.eventId]);
    f.peer.script = {};
  });

  it('fetches unknown auth events, and takes the state from /state_ids when the gap stays open (the prev event joins the timeline)', async () => {
    const roomId = await f.roomWithMallory();
    const lookup = f.lattice.homeserver.services.rooms.state.currentLookup(roomId);
    // S: mallory renames herself (state); X follows S; Y follows X. Lattice is sent only Y.
    const s = f.build(roomId, { type: 'm.room.member', state_key: f.mallory, sender: f.mallory, content: { membership: 'join', displayname: 'Mal' } });
    const withS = (type: string, key: string): RoomEvent | undefined => (type === 'm.room.member' && key === f.mallory ? s.event : lookup(type, key));
    const x = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('x') }, { prevEvents: [{ event_id: s.eventId, depth: s.event.depth }], state: withS });
    const y = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('y') }, { prevEvents: [{ event_id: x.eventId, depth: x.event.depth }], state: withS });
    expect(y.event.auth_events).toContain(s.eventId);

    const stateBeforeX = [...f.lattice.homeserver.services.rooms.state.currentStateMap(roomId).values()].filter((id) => id !== lookup('m.room.member', f.mallory)!.event_id);
    f.peer.events.set(s.eventId, wire(s.pdu));
    f.peer.events.set(x.eventId, wire(x.pdu));
    f.peer.script = {
      missingEvents: () => [],
      stateIds: (eventId) => (eventId === x.eventId ? { pdu_ids: [...stateBeforeX, s.eventId], auth_chain_ids: [] } : undefined),
    };

    const res = await f.send([wire(y.pdu)]);
    expect(res.body).toEqual({ pdus: { [y.eventId]: {} } });
    expect(f.flags(s.eventId)).toMatchObject({ outlier: true, rejected: null });
    // X itself was fetched and entered the timeline with the state /state_ids gave for it.
    expect(f.flags(x.eventId)).toMatchObject({ outlier: false, rejected: null, softFailed: false });
    expect((await f.alice.event(roomId, x.eventId)).status).toBe(200);
    expect(f.flags(y.eventId)).toMatchObject({ outlier: false, rejected: null, softFailed: false });
    expect((await f.alice.event(roomId, y.eventId)).status).toBe(200);
    expect(requestsTo(`/_matrix/federation/v1/state_ids/${encodeURIComponent(roomId)}?event_id=${encodeURIComponent(x.eventId)}`)).toHaveLength(1);
    expect(requestsTo(`/_matrix/federation/v1/event/${encodeURIComponent(s.eventId)}`).length).toBeGreaterThan(0);
    f.peer.script = {};
  });

  it('drops an event whose missing auth events the sender cannot produce', async () => {
    const roomId = await f.roomWithMallory();
    const ghost = f.build(roomId, { type: 'm.room.member', state_key: f.mallory, sender: f.mallory, content: { membership: 'join', displayname: 'ghost' } });
    const lookup = f.lattice.homeserver.services.rooms.state.currentLookup(roomId);
    const e = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('?') }, { state: (t, k) => (t === 'm.room.member' && k === f.mallory ? ghost.event : lookup(t, k)) });
    const res = await f.send([wire(e.pdu)]);
    expect(res.body.pdus[e.eventId].error).toMatch(/auth events/);
    expect(f.flags(e.eventId)).toBeUndefined();
  });

  it('bounds the work one transaction can cause', async () => {
    const roomId = await f.roomWithMallory();
    // 50 events, each with a different unknown prev event the peer "knows" nothing about.
    const pdus = Array.from({ length: 50 }, (_, i) => {
      const fake = '$' + String(i).padStart(3, '0').repeat(14).slice(0, 42) + 'A';
      return wire(f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text(`orphan ${i}`) }, { prevEvents: [{ event_id: fake, depth: 5 }] }).pdu);
    });
    const before = f.peer.requests().length;
    const res = await f.send(pdus);
    expect(res.status).toBe(200);
    const results = Object.values(res.body.pdus as Record<string, { error?: string }>);
    expect(results).toHaveLength(50);
    expect(results.every((r) => r.error !== undefined)).toBe(true);
    expect(f.peer.requests().length - before).toBeLessThanOrEqual(200);
  });
});

describe('soft failure', () => {
  it('keeps out of the room an event built before its sender was banned', async () => {
    const roomId = await f.roomWithMallory();
    const early = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('sent before the ban arrived') });
    expect((await f.alice.ban(roomId, f.mallory, 'spam')).status).toBe(200);

    const res = await f.send([wire(early.pdu)]);
    expect(res.body).toEqual({ pdus: { [early.eventId]: {} } });
    expect(f.flags(early.eventId)).toMatchObject({ outlier: false, rejected: null, softFailed: true });
    expect((await f.alice.event(roomId, early.eventId)).status).toBe(404);
    expect(forwardExtremities(f.lattice.homeserver, roomId).map((x) => x.event_id)).not.toContain(early.eventId);

    // Built on the current state (banned), it fails the auth rules outright.
    const late = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('after the ban') });
    const res2 = await f.send([wire(late.pdu)]);
    expect(res2.body.pdus[late.eventId].error).toMatch(/rejected/i);
  });
});

describe('server ACLs', () => {
  it('refuses PDUs, typing and reads from a denied server', async () => {
    const roomId = await f.roomWithMallory();
    const acl = await f.alice.putState(roomId, 'm.room.server_acl', '', { allow: ['*'], deny: ['evil.*'], allow_ip_literals: false });
    expect(acl.status).toBe(200);

    const message = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('let me in') });
    const typing = { edu_type: 'm.typing', content: { room_id: roomId, user_id: f.mallory, typing: true } };
    const res = await f.send([wire(message.pdu)], [typing]);
    expect(res.body.pdus[message.eventId].error).toMatch(/ACL/);
    expect(f.flags(message.eventId)).toBeUndefined();
    expect(f.lattice.homeserver.services.typing.typers(roomId)).toEqual([]);

    const read = await f.peer.request(f.lattice, 'GET', `/_matrix/federation/v1/state_ids/${encodeURIComponent(roomId)}?event_id=${encodeURIComponent(acl.body.event_id)}`);
    expect(read.status).toBe(403);

    // The same EDU in a room without an ACL is taken.
    const open = await f.roomWithMallory();
    await f.send([], [{ edu_type: 'm.typing', content: { room_id: open, user_id: f.mallory, typing: true } }]);
    expect(f.lattice.homeserver.services.typing.typers(open)).toEqual([f.mallory]);
  });
});
