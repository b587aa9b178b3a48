// The inbound PDU checks against a hostile peer: a scripted server (evil.test on 127.0.0.12)
// whose user joined a room on a real Lattice (hs1.test on 127.0.0.11), sending over TLS every
// kind of bad PDU and bad request the spec's "Checks performed on receipt of a PDU" and
// "Request Authentication" cover. Each is rejected, dropped or redacted as the spec says, and
// the server stays up throughout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashAndSignEvent } from '../../src/core/events/signing.js';
import type { JsonObject } from '../../src/core/json.js';
import { signingKeyFromSeed } from '../../src/core/signing.js';
import { enc } from '../rooms/helpers.js';
import { CS } from '../support/client.js';
import { wire } from './support/hostile-peer.js';
import { startInboundFixture, text, type InboundFixture } from './support/inbound-fixture.js';

let f: InboundFixture;
let roomId: string;

beforeAll(async () => {
  f = await startInboundFixture({ latticeHost: '127.0.0.11', peerHost: '127.0.0.12' });
  roomId = await f.roomWithMallory();
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

/** Re-signs a PDU (as the peer) after a test tampered with it, so only the tampering is wrong. */
function resign(pdu: JsonObject, roomVersion = f.lattice.homeserver.services.rooms.loader.versionOf(roomId)!): JsonObject {
  const { hashes: _h, signatures: _s, ...rest } = pdu;
  return wire(hashAndSignEvent(rest, 'evil.test', f.peer.key, roomVersion));
}

describe('PDUs that pass every check', () => {
  it('accepts a join pushed in a transaction, then messages the room sees', async () => {
    const message = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('hello from evil.test') });
    const res = await f.send([wire(message.pdu)]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ pdus: { [message.eventId]: {} } });
    const seen = await f.alice.event(roomId, message.eventId);
    expect(seen.status).toBe(200);
    expect(seen.body.content.body).toBe('hello from evil.test');
    expect((await f.alice.joinedMembers(roomId)).body.joined).toHaveProperty([f.mallory]);
  });

  it('answers a retried transaction from its record, without processing it again', async () => {
    const message = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('once') });
    const first = await f.peer.send(f.lattice, 'retry-me', [wire(message.pdu)]);
    const other = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('not processed') });
    const again = await f.peer.send(f.lattice, 'retry-me', [wire(other.pdu)]);
    expect(again.body).toEqual(first.body);
    expect(f.flags(other.eventId)).toBeUndefined();
  });
});

describe('dropped: never stored', () => {
  it('a forged signature', async () => {
    const forger = signingKeyFromSeed(new Uint8Array(32).fill(99), f.peer.key.keyId);
    const event = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('forged') });
    const { hashes: _h, signatures: _s, ...rest } = event.pdu;
    const forged = wire(hashAndSignEvent(rest, 'evil.test', forger, f.lattice.homeserver.services.rooms.loader.versionOf(roomId)!));
    const res = await f.send([forged]);
    expect(res.status).toBe(200);
    expect(res.body.pdus[event.eventId].error).toMatch(/signature/i);
    expect(f.flags(event.eventId)).toBeUndefined();
  });

  it('a PDU of a server signed by another server only', async () => {
    // The sender is a user of elsewhere.test; evil.test signed it. Its origin check fails first.
    const event = f.build(roomId, { type: 'm.room.message', sender: '@eve:elsewhere.test', content: text('not mine') });
    const res = await f.send([wire(event.pdu)]);
    expect(res.body.pdus[event.eventId].error).toMatch(/not a user of evil\.test/);
    expect(f.flags(event.eventId)).toBeUndefined();
  });

  it('an oversized PDU (over 64 KiB)', async () => {
    const event = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('x'.repeat(70_000)) });
    const res = await f.send([wire(event.pdu)]);
    expect(res.status).toBe(200);
    expect(res.body.pdus[event.eventId].error).toMatch(/65536 bytes/);
    expect(f.flags(event.eventId)).toBeUndefined();
  });

  it('out-of-range integers (beyond 2^53 in a v6+ room)', async () => {
    const event = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('big') });
    const raw = JSON.stringify(wire(event.pdu)).replace('"body":"big"', '"body":"big","n":12345678901234567890');
    const res = await f.peer.send(f.lattice, `big-${Date.now()}`, [JSON.parse(raw) as JsonObject]);
    expect(res.status).toBe(200);
    const errors = Object.values(res.body.pdus as Record<string, { error?: string }>);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.error).toMatch(/integer|number|range/i);
    // A depth beyond the version's maximum too.
    const deep = { ...wire(event.pdu), depth: 2 ** 53 + 10 };
    const res2 = await f.send([deep]);
    // Not even an event ID can be computed from it (IDs hash canonical JSON): it is left out.
    expect(res2.status).toBe(200);
    expect(res2.body.pdus).toEqual({});
    expect(f.flags(event.eventId)).toBeUndefined();
  });

  it('malformed PDUs and PDUs for rooms we do not know', async () => {
    const res = await f.send([
      'not an object',
      { type: 'm.room.message' },
      { room_id: '!nowhere:evil.test', type: 'm.room.message', sender: f.mallory },
      null,
      [1, 2, 3],
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toHaveProperty('pdus');
  });

  it('an event whose auth events are in another room (fetched from the peer)', async () => {
    // The peer's own room elsewhere: we do not know it. It claims an auth event from there.
    const otherRoom = '!other:evil.test';
    const foreign = f.peer.build(
      { type: 'm.room.member', state_key: f.mallory, sender: f.mallory, content: { membership: 'join' }, room_id: otherRoom },
      { version: f.lattice.homeserver.services.rooms.loader.versionOf(roomId)!, prevEvents: [], state: () => undefined },
    );
    f.peer.events.set(foreign.eventId, wire(foreign.pdu));
    f.peer.script = { eventAuth: () => [wire(foreign.pdu)] };
    const event = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('auth elsewhere') });
    const tampered = resign({ ...wire(event.pdu), auth_events: [...(event.pdu.auth_events as string[]), foreign.eventId] });
    const res = await f.send([tampered]);
    const result = Object.values(res.body.pdus as Record<string, { error?: string }>)[0]!;
    expect(result.error).toMatch(/auth events/);
    expect(f.flags(foreign.eventId)).toBeUndefined();
    f.peer.script = {};
  });

  it('events for a room this server is no longer in', async () => {
    const left = await f.roomWithMallory();
    const event = f.build(left, { type: 'm.room.message', sender: f.mallory, content: text('anyone?') });
    expect((await f.alice.leave(left)).status).toBe(200);
    const res = await f.send([wire(event.pdu)]);
    expect(res.body.pdus[event.eventId].error).toMatch(/not in room/);
    expect(f.flags(event.eventId)).toBeUndefined();
  });

  it('more than 50 PDUs or 100 EDUs in one transaction: 400', async () => {
    const pdus = Array.from({ length: 51 }, () => ({}));
    expect((await f.send(pdus)).status).toBe(400);
    const edus = Array.from({ length: 101 }, () => ({ edu_type: 'm.typing', content: {} }));
    expect((await f.send([], edus)).status).toBe(400);
  });
});

describe('stored but never shown', () => {
  it('rejected: an event failing the auth rules (power levels mallory may not change)', async () => {
    const current = f.lattice.homeserver.services.rooms.state.currentLookup(roomId)('m.room.power_levels', '')!;
    const grab = f.build(roomId, {
      type: 'm.room.power_levels',
      state_key: '',
      sender: f.mallory,
      content: { ...current.content, users: { ...(current.content['users'] as JsonObject), [f.mallory]: 100 } },
    });
    const res = await f.send([wire(grab.pdu)]);
    expect(res.body.pdus[grab.eventId].error).toMatch(/rejected/i);
    expect(f.flags(grab.eventId)?.rejected).toBeTruthy();
    expect((await f.alice.event(roomId, grab.eventId)).status).toBe(404);
    const pl = await f.alice.getState(roomId, 'm.room.power_levels');
    expect(pl.body.users[f.mallory]).toBeUndefined();
  });

  it('rejected: an auth event of another room we know', async () => {
    const other = await f.roomWithMallory();
    const foreignJoin = f.lattice.homeserver.services.rooms.state.currentLookup(other)('m.room.member', f.mallory)!;
    const event = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('mixing rooms') });
    const ownJoin = f.lattice.homeserver.services.rooms.state.currentLookup(roomId)('m.room.member', f.mallory)!.event_id;
    const auth = (event.pdu.auth_events as string[]).map((id) => (id === ownJoin ? foreignJoin.event_id : id));
    const tampered = resign({ ...wire(event.pdu), auth_events: auth });
    const res = await f.send([tampered]);
    const [id, result] = Object.entries(res.body.pdus as Record<string, { error?: string }>)[0]!;
    expect(result.error).toMatch(/rejected.*another room/i);
    expect(f.flags(id)?.rejected).toMatch(/another room/);
  });

  it('redacted: a content hash that does not match is stored in its redacted form', async () => {
    const event = f.build(roomId, { type: 'm.room.message', sender: f.mallory, content: text('original') });
    // Tamper with the content after hashing, then sign the (redacted) form: signatures hold, the hash does not.
    const tampered = { ...wire(event.pdu), content: text('tampered on the way') };
    const res = await f.send([tampered]);
    expect(res.body.pdus[event.eventId]).toEqual({});
    const stored = f.flags(event.eventId)!;
    expect(stored.rejected).toBeNull();
    expect(stored.json['content']).toEqual({});
    const seen = await f.alice.event(roomId, event.eventId);
    expect(seen.status).toBe(200);
    expect(seen.body.content).toEqual({});
  });
});

describe('bogus X-Matrix headers: 401, nothing processed', () => {
  const uri = () => `/_matrix/federation/v1/send/bogus-${Date.now()}`;
  const body = () => ({ origin: 'evil.test', origin_server_ts: Date.now(), pdus: [], edus: [] });
  const put = (u: string, authorization: string | undefined, content: JsonObject = body()) =>
    f.lattice.client.request('PUT', u, { json: content, headers: authorization === undefined ? {} : { authorization } });

  it('missing header', async () => {
    expect((await put(uri(), undefined)).status).toBe(401);
  });

  it('signature over other content', async () => {
    const u = uri();
    const auth = f.peer.authorization('hs1.test', 'PUT', u, { something: 'else' });
    const res = await put(u, auth);
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe('M_UNAUTHORIZED');
  });

  it('destination naming another server', async () => {
    const u = uri();
    const content = body();
    expect((await put(u, f.peer.authorization('hs9.test', 'PUT', u, content), content)).status).toBe(401);
  });

  it('garbage and a key nobody has', async () => {
    expect((await put(uri(), 'X-Matrix origin=evil.test,,,key="ed25519:evil"')).status).toBe(401);
    expect((await put(uri(), 'X-Matrix origin="evil.test",key="ed25519:evil",sig="AAAA"')).status).toBe(401);
    const u = uri();
    const content = body();
    const fake = signingKeyFromSeed(new Uint8Array(32).fill(5), 'ed25519:unknown');
    expect((await put(u, f.peer.authorization('hs1.test', 'PUT', u, content, fake), content)).status).toBe(401);
  });

  it('the server is still up and answering', async () => {
    expect((await f.lattice.client.get('/_matrix/federation/v1/version')).status).toBe(200);
    expect((await f.alice.request('GET', `${CS}/rooms/${enc(roomId)}/joined_members`)).status).toBe(200);
  });
});
