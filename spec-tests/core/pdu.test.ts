import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeEventId } from '../../src/core/events/event-id.js';
import {
  eventIdOf,
  MAX_AUTH_EVENTS,
  MAX_PDU_BYTES,
  MAX_PREV_EVENTS,
  PduFormatError,
  toRoomEvent,
  validatePdu,
} from '../../src/core/events/pdu.js';
import { isStateEvent } from '../../src/core/events/room-event.js';
import { ProtocolError } from '../../src/core/errors.js';
import type { JsonObject, JsonValue } from '../../src/core/json.js';
import { requireRoomVersion, SUPPORTED_ROOM_VERSIONS, type RoomVersion } from '../../src/core/room-versions.js';

const versions = SUPPORTED_ROOM_VERSIONS.map(requireRoomVersion);
const v = (id: string) => requireRoomVersion(id);

/** An event ID in the version's own format, distinct per seed character. */
function ref(version: RoomVersion, c = 'A'): JsonValue {
  switch (version.eventIdFormat) {
    case 'explicit':
      return [`$${c}:domain`, { sha256: 'aGFzaA' }];
    case 'hash-base64':
      return '$' + c.repeat(41) + '+/';
    case 'hash-base64url':
      return '$' + c.repeat(41) + '-_';
  }
}

function basePdu(version: RoomVersion, fields: JsonObject = {}): JsonObject {
  const pdu: JsonObject = {
    type: 'm.room.message',
    sender: '@alice:example.org',
    room_id: version.roomIdFromCreateEvent ? '!' + 'R'.repeat(43) : '!room:example.org',
    origin_server_ts: 1_700_000_000_000,
    depth: 5,
    content: { body: 'hello', n: 3 },
    prev_events: [ref(version, 'P')],
    auth_events: [ref(version, 'A'), ref(version, 'B')],
    hashes: { sha256: 'aGFzaA' },
    signatures: { 'example.org': { 'ed25519:1': 'c2ln' } },
    unsigned: { age: 4 },
    origin: 'example.org',
  };
  if (version.eventIdFormat === 'explicit') pdu.event_id = '$ev1:example.org';
  return { ...pdu, ...fields };
}

function without(object: JsonObject, key: string): JsonObject {
  const { [key]: _omit, ...rest } = object;
  return rest;
}

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PduFormatError) return err.field;
    throw err;
  }
  throw new Error('did not throw');
}

describe('validatePdu: valid PDUs', () => {
  for (const version of versions) {
    it(`room v${version.id}: accepts a well-formed PDU and returns the same object`, () => {
      const pdu = basePdu(version);
      expect(validatePdu(pdu, version)).toBe(pdu);
      const state = basePdu(version, { type: 'm.room.member', state_key: '@bob:example.org', content: { membership: 'join' } });
      expect(validatePdu(state, version)).toBe(state);
    });
  }

  it('accepts 20 prev_events and 10 auth_events, and historical user IDs', () => {
    const version = v('10');
    const pdu = basePdu(version, {
      prev_events: Array.from({ length: MAX_PREV_EVENTS }, () => ref(version)),
      auth_events: Array.from({ length: MAX_AUTH_EVENTS }, () => ref(version)),
      sender: '@Ünïcode Ü:[::1]:8448',
    });
    expect(validatePdu(pdu, version)).toBe(pdu);
  });

  it('accepts depth at the version maximum and floats in content before v6 only', () => {
    expect(validatePdu(basePdu(v('6'), { depth: Number.MAX_SAFE_INTEGER }), v('6'))).toBeTruthy();
    expect(validatePdu(basePdu(v('5'), { depth: 2 ** 63 - 1 }), v('5'))).toBeTruthy();
    expect(validatePdu(basePdu(v('5'), { content: { f: 1.5, big: 2 ** 60 } }), v('5'))).toBeTruthy();
    expect(fieldOf(() => validatePdu(basePdu(v('6'), { content: { f: 1.5 } }), v('6')))).toBe('content.f');
    expect(fieldOf(() => validatePdu(basePdu(v('6'), { content: { big: 2 ** 60 } }), v('6')))).toBe('content.big');
  });

  it('accepts a v12 create event without room_id', () => {
    const create = basePdu(v('12'), { type: 'm.room.create', state_key: '', content: { room_version: '12' }, prev_events: [], auth_events: [] });
    const pdu = without(create, 'room_id');
    expect(validatePdu(pdu, v('12'))).toBe(pdu);
  });
});

describe('validatePdu: each defect names its field', () => {
  const v1 = v('1');
  const v5 = v('5');
  const v6 = v('6');
  const v8 = v('8');
  const v11 = v('11');
  const v12 = v('12');
  const member = (version: RoomVersion, content: JsonObject) =>
    basePdu(version, { type: 'm.room.member', state_key: '@alice:example.org', content });

  const cases: [string, RoomVersion, unknown, string][] = [
    ['not an object', v11, [], ''],
    ['null', v11, null, ''],
    ['missing type', v11, without(basePdu(v11), 'type'), 'type'],
    ['type not a string', v11, basePdu(v11, { type: 5 }), 'type'],
    ['type over 255 bytes', v11, basePdu(v11, { type: 'x'.repeat(256) }), 'type'],
    ['state_key over 255 bytes (multi-byte)', v11, basePdu(v11, { state_key: '€'.repeat(86) }), 'state_key'],
    ['state_key not a string', v11, basePdu(v11, { state_key: null }), 'state_key'],
    ['missing sender', v11, without(basePdu(v11), 'sender'), 'sender'],
    ['sender without server', v11, basePdu(v11, { sender: '@alice' }), 'sender'],
    ['sender with wrong sigil', v11, basePdu(v11, { sender: '!alice:example.org' }), 'sender'],
    ['sender with bad server name', v11, basePdu(v11, { sender: '@a:exa mple.org' }), 'sender'],
    ['sender with NUL', v11, basePdu(v11, { sender: '@a\u0000b:example.org' }), 'sender'],
    ['sender over 255 bytes', v11, basePdu(v11, { sender: '@' + 'a'.repeat(250) + ':example.org' }), 'sender'],
    ['origin_server_ts float', v5, basePdu(v5, { origin_server_ts: 1.5 }), 'origin_server_ts'],
    ['origin_server_ts string', v11, basePdu(v11, { origin_server_ts: '1' }), 'origin_server_ts'],
    ['origin_server_ts beyond int64', v5, basePdu(v5, { origin_server_ts: 2 ** 64 }), 'origin_server_ts'],
    ['missing depth', v11, without(basePdu(v11), 'depth'), 'depth'],
    ['negative depth', v11, basePdu(v11, { depth: -1 }), 'depth'],
    ['float depth (lenient version)', v5, basePdu(v5, { depth: 1.5 }), 'depth'],
    ['depth beyond 2^53-1 (v6)', v6, basePdu(v6, { depth: 2 ** 53 }), 'depth'],
    ['depth beyond 2^63-1 (v5)', v5, basePdu(v5, { depth: 2 ** 64 }), 'depth'],
    ['content not an object', v11, basePdu(v11, { content: [] }), 'content'],
    ['missing content', v11, without(basePdu(v11), 'content'), 'content'],
    ['missing hashes', v11, without(basePdu(v11), 'hashes'), 'hashes'],
    ['hashes without sha256', v11, basePdu(v11, { hashes: {} }), 'hashes.sha256'],
    ['missing signatures', v11, without(basePdu(v11), 'signatures'), 'signatures'],
    ['signatures entry not an object', v11, basePdu(v11, { signatures: { 'example.org': 'x' } }), 'signatures.example.org'],
    ['signature not a string', v11, basePdu(v11, { signatures: { s: { 'ed25519:1': 1 } } }), 'signatures.s.ed25519:1'],
    ['unsigned not an object', v11, basePdu(v11, { unsigned: 'x' }), 'unsigned'],
    ['unsigned.age not an integer', v5, basePdu(v5, { unsigned: { age: 'old' } }), 'unsigned.age'],
    ['missing room_id', v11, without(basePdu(v11), 'room_id'), 'room_id'],
    ['room_id wrong sigil', v11, basePdu(v11, { room_id: '#room:example.org' }), 'room_id'],
    ['room_id without server before v12', v11, basePdu(v11, { room_id: '!' + 'R'.repeat(43) }), 'room_id'],
    ['v12 room_id with a server', v12, basePdu(v12, { room_id: '!room:example.org' }), 'room_id'],
    ['v12 non-create without room_id', v12, without(basePdu(v12), 'room_id'), 'room_id'],
    ['v12 create with room_id', v12, basePdu(v12, { type: 'm.room.create', state_key: '' }), 'room_id'],
    ['v1 missing event_id', v1, without(basePdu(v1), 'event_id'), 'event_id'],
    ['v1 event_id without server', v1, basePdu(v1, { event_id: '$abc' }), 'event_id'],
    ['v1 event_id over 255 bytes', v1, basePdu(v1, { event_id: '$' + 'e'.repeat(250) + ':example.org' }), 'event_id'],
    ['missing prev_events', v11, without(basePdu(v11), 'prev_events'), 'prev_events'],
    ['prev_events not an array', v11, basePdu(v11, { prev_events: {} }), 'prev_events'],
    ['21 prev_events', v11, basePdu(v11, { prev_events: Array.from({ length: 21 }, () => ref(v11)) }), 'prev_events'],
    ['11 auth_events', v11, basePdu(v11, { auth_events: Array.from({ length: 11 }, () => ref(v11)) }), 'auth_events'],
    ['bad prev event ID', v11, basePdu(v11, { prev_events: [ref(v11), ref(v11), ref(v11), '$short'] }), 'prev_events[3]'],
    ['v3 ID in a v4+ room', v11, basePdu(v11, { prev_events: [ref(v('3'))] }), 'prev_events[0]'],
    ['v4 ID in a v3 room', v('3'), basePdu(v('3'), { auth_events: [ref(v11)] }), 'auth_events[0]'],
    ['v1 pair as a bare ID', v1, basePdu(v1, { prev_events: ['$a:domain'] }), 'prev_events[0]'],
    ['v1 pair too long', v1, basePdu(v1, { prev_events: [['$a:domain', { sha256: 'x' }, 1]] }), 'prev_events[0]'],
    ['v1 pair hash not an object', v1, basePdu(v1, { auth_events: [['$a:domain', 'x']] }), 'auth_events[0][1]'],
    ['v1 pair hash missing sha256', v1, basePdu(v1, { auth_events: [['$a:domain', {}]] }), 'auth_events[0][1].sha256'],
    ['v1 pair bad ID', v1, basePdu(v1, { auth_events: [['nope', { sha256: 'x' }]] }), 'auth_events[0][0]'],
    ['v3+ ID list in a v1 room', v1, basePdu(v1, { prev_events: [ref(v11)] }), 'prev_events[0]'],
    ['top-level redacts not an ID', v6, basePdu(v6, { redacts: 'nope' }), 'redacts'],
    ['top-level redacts not a string', v6, basePdu(v6, { redacts: 5 }), 'redacts'],
    ['member without state_key', v11, basePdu(v11, { type: 'm.room.member', content: { membership: 'join' } }), 'state_key'],
    ['member without membership', v11, member(v11, {}), 'content.membership'],
    ['member with numeric membership', v11, member(v11, { membership: 1 }), 'content.membership'],
    [
      'v8 join_authorised_via_users_server not a user ID',
      v8,
      member(v8, { membership: 'join', join_authorised_via_users_server: 'bob' }),
      'content.join_authorised_via_users_server',
    ],
    ['v11 redaction without content.redacts', v11, basePdu(v11, { type: 'm.room.redaction', content: {} }), 'content.redacts'],
    ['v11 redaction with bad content.redacts', v11, basePdu(v11, { type: 'm.room.redaction', content: { redacts: '$x' } }), 'content.redacts'],
    ['float in strict version', v6, basePdu(v6, { content: { a: [1, { b: 0.25 }] } }), 'content.a[1].b'],
    ['lone surrogate', v5, basePdu(v5, { content: { body: '\ud800' } }), 'content.body'],
    ['too large', v11, basePdu(v11, { content: { body: 'x'.repeat(MAX_PDU_BYTES) } }), ''],
    ['too large in UTF-8 only', v11, basePdu(v11, { content: { body: '€'.repeat(22000) } }), ''],
  ];

  for (const [name, version, input, field] of cases) {
    it(`${name} (room v${version.id}) → ${JSON.stringify(field)}`, () => {
      expect(fieldOf(() => validatePdu(input, version))).toBe(field);
    });
  }

  it('errors are ProtocolErrors with a readable message', () => {
    try {
      validatePdu(member(v11, {}), v11);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as Error).message).toBe('content.membership: required');
    }
  });

  it('v7 ignores join_authorised_via_users_server (no restricted joins); v11 ignores a top-level redacts', () => {
    const v7 = v('7');
    expect(validatePdu(member(v7, { membership: 'join', join_authorised_via_users_server: 5 }), v7)).toBeTruthy();
    expect(validatePdu(basePdu(v11, { redacts: 5 }), v11)).toBeTruthy();
  });
});

// --- fuzzing: nothing but PduFormatError, whatever comes in ---

function onlyFormatErrors(input: unknown, version: RoomVersion): void {
  try {
    validatePdu(input, version);
  } catch (err) {
    if (!(err instanceof PduFormatError)) throw err;
    expect(typeof err.field).toBe('string');
  }
}

const anyJson = fc.jsonValue({ maxDepth: 4 });
const fieldNames = [
  'type',
  'state_key',
  'sender',
  'room_id',
  'event_id',
  'origin_server_ts',
  'depth',
  'content',
  'hashes',
  'signatures',
  'unsigned',
  'prev_events',
  'auth_events',
  'redacts',
];

describe('validatePdu: fuzz', () => {
  it('arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.constantFrom(...versions), anyJson, (version, json) => onlyFormatErrors(json, version)),
      { numRuns: 2000 },
    );
  });

  it('arbitrary objects with PDU field names', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...versions),
        fc.dictionary(fc.oneof(fc.constantFrom(...fieldNames), fc.string()), anyJson),
        (version, json) => onlyFormatErrors(json, version),
      ),
      { numRuns: 2000 },
    );
  });

  it('valid PDUs with one field replaced, removed or nested junk', () => {
    const contentKeys = ['membership', 'redacts', 'join_authorised_via_users_server', 'body'];
    fc.assert(
      fc.property(
        fc.constantFrom(...versions),
        fc.constantFrom(...fieldNames),
        fc.option(anyJson, { nil: undefined }),
        fc.constantFrom('m.room.member', 'm.room.redaction', 'm.room.create', 'm.room.message'),
        fc.dictionary(fc.constantFrom(...contentKeys), anyJson),
        (version, field, replacement, type, content) => {
          const pdu = basePdu(version, { type, content: content as JsonObject, state_key: '' });
          const mutated = replacement === undefined ? without(pdu, field) : { ...pdu, [field]: replacement };
          onlyFormatErrors(mutated, version);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('non-JSON JavaScript values', () => {
    const cyclic: { [k: string]: unknown } = { ...basePdu(v('11')) };
    cyclic.content = cyclic;
    const inputs: unknown[] = [
      undefined,
      () => 1,
      Symbol('x'),
      10n,
      cyclic,
      { ...basePdu(v('11')), content: { big: 10n } },
      { ...basePdu(v('11')), content: { u: undefined, f() {} } },
      new Map(),
      Object.create(null),
    ];
    for (const input of inputs) onlyFormatErrors(input, v('11'));
  });
});

describe('toRoomEvent', () => {
  it('v1: pairs flatten, event_id read, top-level redacts kept', () => {
    const version = v('1');
    const pdu = validatePdu(basePdu(version, { type: 'm.room.redaction', redacts: '$x:example.org' }), version);
    const event = toRoomEvent(pdu, version);
    expect(event).toEqual({
      event_id: '$ev1:example.org',
      room_id: '!room:example.org',
      type: 'm.room.redaction',
      sender: '@alice:example.org',
      content: { body: 'hello', n: 3 },
      prev_events: ['$P:domain'],
      auth_events: ['$A:domain', '$B:domain'],
      origin_server_ts: 1_700_000_000_000,
      depth: 5,
      redacts: '$x:example.org',
    });
    expect(isStateEvent(event)).toBe(false);
    expect('state_key' in event).toBe(false);
  });

  it('v4+: computes the ID unless given; state_key "" kept', () => {
    const version = v('10');
    const pdu = validatePdu(basePdu(version, { type: 'm.room.topic', state_key: '', content: { topic: 't' } }), version);
    const event = toRoomEvent(pdu, version);
    expect(event.event_id).toBe(computeEventId(pdu, version));
    expect(event.event_id).toBe(eventIdOf(pdu, version));
    expect(event.state_key).toBe('');
    expect(isStateEvent(event)).toBe(true);
    expect(toRoomEvent(pdu, version, '$given').event_id).toBe('$given');
  });

  it('v11: redacts comes from content, a top-level one is ignored', () => {
    const version = v('11');
    const target = ref(version, 'T') as string;
    const pdu = validatePdu(
      basePdu(version, { type: 'm.room.redaction', redacts: ref(version, 'X'), content: { redacts: target } }),
      version,
    );
    expect(toRoomEvent(pdu, version).redacts).toBe(target);
    const v10 = v('10');
    const old = validatePdu(basePdu(v10, { type: 'm.room.redaction', redacts: target, content: { redacts: ref(v10, 'Y') } }), v10);
    expect(toRoomEvent(old, v10).redacts).toBe(target);
  });

  it('v12: create gets its room ID from its own event ID', () => {
    const version = v('12');
    const create = validatePdu(
      without(basePdu(version, { type: 'm.room.create', state_key: '', content: { room_version: '12' }, prev_events: [], auth_events: [] }), 'room_id'),
      version,
    );
    const event = toRoomEvent(create, version);
    expect(event.room_id).toBe('!' + event.event_id.slice(1));
    expect(event.room_id).toMatch(/^![A-Za-z0-9_-]{43}$/);
  });
});
