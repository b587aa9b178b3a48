import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeEventId,
  EventIdError,
  eventIdFromReferenceHash,
  mintOpaqueEventId,
  roomIdFromCreateEventId,
} from '../../src/core/events/event-id.js';
import { eventIdOf, toRoomEvent, validatePdu } from '../../src/core/events/pdu.js';
import { contentHashMatches } from '../../src/core/hashes.js';
import type { JsonObject } from '../../src/core/json.js';
import { requireRoomVersion, SUPPORTED_ROOM_VERSIONS } from '../../src/core/room-versions.js';
import { loadVector } from './spec-vectors.js';

interface EventIdVectors {
  formats: { v3: { example: string }; v4_plus: { example: string; applies_to: string[] }; max_length_bytes: number };
  cross_check_vectors: {
    name: string;
    event: JsonObject;
    expected_event_id?: string;
    expected_event_id_v3?: string;
    expected_event_id_v4_plus_format?: string;
    content_hash_matches_hashes_sha256?: boolean;
  }[];
}

const vectors = loadVector<EventIdVectors>('event-ids.json');
const v1 = requireRoomVersion('1');
const v3 = requireRoomVersion('3');

describe('event ID formats', () => {
  it('v3 and v4+ examples have the shape of a sha256 in base64 / URL-safe base64', () => {
    expect(vectors.formats.v3.example).toMatch(/^\$[A-Za-z0-9+/]{43}$/);
    expect(vectors.formats.v4_plus.example).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
  });

  it('v4+ format applies to exactly the versions our table marks URL-safe', () => {
    const urlSafe = SUPPORTED_ROOM_VERSIONS.filter((id) => requireRoomVersion(id).eventIdFormat === 'hash-base64url');
    expect(urlSafe).toEqual(vectors.formats.v4_plus.applies_to);
  });

  it('eventIdFromReferenceHash encodes per version and refuses v1/v2', () => {
    const hash = new Uint8Array(32).fill(0xff);
    expect(eventIdFromReferenceHash(hash, v3)).toBe('$' + '/'.repeat(42) + '8');
    expect(eventIdFromReferenceHash(hash, requireRoomVersion('4'))).toBe('$' + '_'.repeat(42) + '8');
    expect(() => eventIdFromReferenceHash(hash, v1)).toThrow(EventIdError);
  });
});

describe('event IDs: cross-check vectors', () => {
  const create = vectors.cross_check_vectors.find((c) => c.name === 'real-room-v5-create-event')!;
  const legacy = vectors.cross_check_vectors.find((c) => c.name === 'real-room-v1-event')!;

  it('real v5 create event: v3 and v4+ IDs and its content hash', () => {
    expect(computeEventId(create.event, v3)).toBe(create.expected_event_id_v3);
    for (const id of ['4', '5', '6', '7', '8', '9', '10']) {
      const v = requireRoomVersion(id);
      expect(eventIdOf(validatePdu(create.event, v), v)).toBe(create.expected_event_id_v4_plus_format);
    }
    expect(contentHashMatches(create.event, requireRoomVersion('5'))).toBe(create.content_hash_matches_hashes_sha256);
  });

  it('real v1 event: the ID is its event_id field; references flatten to IDs', () => {
    for (const id of ['1', '2']) {
      const v = requireRoomVersion(id);
      const pdu = validatePdu(legacy.event, v);
      expect(eventIdOf(pdu, v)).toBe(legacy.expected_event_id);
      const event = toRoomEvent(pdu, v);
      expect(event.event_id).toBe(legacy.expected_event_id);
      expect(event.prev_events).toEqual(['$FqI6TVvWpcbcnJ97:localhost']);
      expect(event.auth_events).toEqual(['$oXL79cT7fFxR7dPH:localhost', '$IVUsaSkm1LBAZYYh:localhost', '$VS2QT0EeArZYi8wf:localhost']);
      expect(event.state_key).toBe('');
    }
  });

  it('v1/v2 without a string event_id cannot have an ID', () => {
    expect(() => computeEventId({ ...legacy.event, event_id: 5 }, v1)).toThrow(EventIdError);
    const { event_id: _omit, ...noId } = legacy.event;
    expect(() => computeEventId(noId, v1)).toThrow(EventIdError);
  });
});

describe('minting and deriving IDs', () => {
  it('mintOpaqueEventId builds $<url-safe random>:server', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 32 }), (bytes) => {
        const id = mintOpaqueEventId(bytes, 'example.org:8448');
        expect(id).toMatch(/^\$[A-Za-z0-9_-]+:example\.org:8448$/);
        expect(Buffer.from(id.slice(1, id.indexOf(':')), 'base64url')).toEqual(Buffer.from(bytes));
      }),
    );
    expect(() => mintOpaqueEventId(new Uint8Array(4), 'example.org')).toThrow(EventIdError);
    expect(() => mintOpaqueEventId(new Uint8Array(16), 'x'.repeat(250))).toThrow(EventIdError);
  });

  it('roomIdFromCreateEventId swaps the sigil', () => {
    expect(roomIdFromCreateEventId('$abc_-')).toBe('!abc_-');
    expect(() => roomIdFromCreateEventId('!abc')).toThrow(EventIdError);
  });
});
