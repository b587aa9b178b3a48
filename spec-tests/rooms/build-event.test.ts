// src/core/events/build.ts: local PDUs that pass the core's own checks, in every room version.
import { describe, expect, it } from 'vitest';
import { checkAuthEventsList } from '../../src/core/auth/index.js';
import { buildEvent, EventBuildError } from '../../src/core/events/build.js';
import { roomIdFromCreateEventId } from '../../src/core/events/event-id.js';
import { eventIdOf, validatePdu } from '../../src/core/events/pdu.js';
import { stateTupleKey, type RoomEvent } from '../../src/core/events/room-event.js';
import { verifyEventSignatures } from '../../src/core/events/signing.js';
import { computeReferenceHash, contentHashMatches } from '../../src/core/hashes.js';
import { encodeBase64 } from '../../src/core/base64.js';
import { requireRoomVersion, SUPPORTED_ROOM_VERSIONS } from '../../src/core/room-versions.js';
import { signingKeyFromSeed } from '../../src/core/signing.js';

const key = signingKeyFromSeed(new Uint8Array(32).fill(7), 'ed25519:test');
const keys = (server: string, keyId: string) => (server === 'hs.example' && keyId === 'ed25519:test' ? key.publicKey : undefined);
const random = () => new Uint8Array(18).map((_, i) => i * 13 + 1);

describe.each(SUPPORTED_ROOM_VERSIONS)('room version %s', (id) => {
  const version = requireRoomVersion(id);

  it('builds a create event, then a member event on it', () => {
    const roomId = version.roomIdFromCreateEvent ? undefined : '!room:hs.example';
    const create = buildEvent(
      { type: 'm.room.create', state_key: '', sender: '@alice:hs.example', content: { room_version: id, creator: '@alice:hs.example' }, ...(roomId ? { room_id: roomId } : {}) },
      { version, origin: 'hs.example', key, originServerTs: 1000, prevEvents: [], state: () => undefined, randomBytes: random() },
    );
    const pdu = validatePdu(create.pdu, version);
    expect(pdu.depth).toBe(1);
    expect(contentHashMatches(pdu, version)).toBe(true);
    expect(verifyEventSignatures(pdu, version, keys)).toEqual({ ok: true });
    expect(eventIdOf(pdu, version)).toBe(create.eventId);
    if (version.roomIdFromCreateEvent) {
      expect(Object.hasOwn(pdu, 'room_id')).toBe(false);
      expect(create.event.room_id).toBe(roomIdFromCreateEventId(create.eventId));
    } else {
      expect(create.event.room_id).toBe(roomId);
    }

    const state = new Map<string, RoomEvent>([[stateTupleKey('m.room.create', ''), create.event]]);
    const refs = new Map([[create.eventId, encodeBase64(computeReferenceHash(create.pdu, version))]]);
    const join = buildEvent(
      { type: 'm.room.member', state_key: '@alice:hs.example', sender: '@alice:hs.example', content: { membership: 'join' }, room_id: create.event.room_id },
      {
        version,
        origin: 'hs.example',
        key,
        originServerTs: 1001,
        prevEvents: [{ event_id: create.eventId, depth: 1 }],
        state: (type, stateKey) => state.get(stateTupleKey(type, stateKey)),
        referenceHash: (eventId) => refs.get(eventId)!,
        randomBytes: random().reverse(),
      },
    );
    const joinPdu = validatePdu(join.pdu, version);
    expect(joinPdu.depth).toBe(2);
    expect(join.event.prev_events).toEqual([create.eventId]);
    // The create event is an auth event before v12, never from v12.
    expect(join.event.auth_events).toEqual(version.roomIdFromCreateEvent ? [] : [create.eventId]);
    expect(checkAuthEventsList(version, join.event, version.roomIdFromCreateEvent ? [] : [create.event])).toEqual({ allowed: true });
    expect(verifyEventSignatures(joinPdu, version, keys)).toEqual({ ok: true });
    if (version.eventRefsArePairs) expect(joinPdu.prev_events).toEqual([[create.eventId, { sha256: refs.get(create.eventId) }]]);
  });

  it('puts redacts where the version keeps it', () => {
    const built = buildEvent(
      { type: 'm.room.redaction', sender: '@alice:hs.example', content: {}, room_id: version.roomIdFromCreateEvent ? '!' + 'a'.repeat(43) : '!room:hs.example', redacts: version.eventIdFormat === 'explicit' ? '$x:hs.example' : '$' + 'b'.repeat(43) },
      { version, origin: 'hs.example', key, originServerTs: 5, prevEvents: [{ event_id: '$p', depth: version.maxDepth }], state: () => undefined, referenceHash: () => 'AAAA', randomBytes: random() },
    );
    if (version.redactsInContent) expect(built.pdu.content.redacts).toBeDefined();
    else expect(built.pdu.redacts).toBeDefined();
    // Depth is capped at the version's maximum.
    expect(built.pdu.depth).toBe(version.maxDepth);
  });
});

describe('build errors', () => {
  it('needs what the version needs', () => {
    const v1 = requireRoomVersion('1');
    const v12 = requireRoomVersion('12');
    const base = { origin: 'hs.example', key, originServerTs: 1, prevEvents: [], state: () => undefined };
    expect(() => buildEvent({ type: 'm.room.message', sender: '@a:hs.example', content: {} }, { ...base, version: v12 })).toThrow(EventBuildError);
    expect(() => buildEvent({ type: 'm.room.create', state_key: '', sender: '@a:hs.example', content: {}, room_id: '!x:hs.example' }, { ...base, version: v12 })).toThrow(EventBuildError);
    expect(() => buildEvent({ type: 'm.room.message', sender: '@a:hs.example', content: {}, room_id: '!x:hs.example' }, { ...base, version: v1 })).toThrow(EventBuildError);
  });
});
