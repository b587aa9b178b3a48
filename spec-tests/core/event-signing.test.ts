import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../src/core/base64.js';
import { roomIdFromCreateEventId } from '../../src/core/events/event-id.js';
import { eventIdOf, toRoomEvent, validatePdu } from '../../src/core/events/pdu.js';
import { redactEvent } from '../../src/core/events/redaction.js';
import { hashAndSignEvent, requiredSigningServers, verifyEventSignatures } from '../../src/core/events/signing.js';
import {
  addContentHash,
  computeContentHash,
  computeReferenceHash,
  contentHashInput,
  contentHashMatches,
  redactedSigningJson,
} from '../../src/core/hashes.js';
import type { JsonObject } from '../../src/core/json.js';
import { requireRoomVersion, SUPPORTED_ROOM_VERSIONS, type RoomVersion } from '../../src/core/room-versions.js';
import { signingKeyFromSeed, type SigningKey } from '../../src/core/signing.js';
import { loadVector } from './spec-vectors.js';

interface EventSigningCase {
  name: string;
  input: JsonObject;
  expected: JsonObject;
  derived: {
    content_hash_input: string;
    signed_bytes_redaction_v1_to_v10: string;
    signed_bytes_redaction_v11_plus: string;
    signature_if_redaction_v11_plus: string;
    reference_hash_v1_to_v10_redaction?: { sha256_base64: string; event_id_v3: string; event_id_v4_plus: string };
    reference_hash_v11_plus_redaction?: { sha256_base64: string; event_id_v4_plus: string };
  };
}

const vectors = loadVector<{ signing_key: { seed_base64: string; key_id: string; server_name: string }; cases: EventSigningCase[] }>(
  'event-signing.json',
);
const v12 = loadVector<{
  derived_example: {
    create_event_unsigned_input: JsonObject;
    content_hash_input: string;
    signed_create_event: JsonObject;
    reference_hash_input: string;
    create_event_id: string;
    room_id: string;
  };
}>('room-v12.json').derived_example;

const key = signingKeyFromSeed(decodeBase64(vectors.signing_key.seed_base64), vectors.signing_key.key_id);
const server = vectors.signing_key.server_name;
const versions = SUPPORTED_ROOM_VERSIONS.map(requireRoomVersion);
const preV11 = versions.filter((v) => v.redaction !== 'v11');
const v11Plus = versions.filter((v) => v.redaction === 'v11');

function keyring(...keys: [string, SigningKey][]) {
  return (serverName: string, keyId: string) => keys.find(([s, k]) => s === serverName && k.keyId === keyId)?.[1].publicKey;
}
const lookup = keyring([server, key]);

function signatureOf(event: JsonObject, entity = server, keyId = key.keyId): string {
  return ((event.signatures as JsonObject)[entity] as JsonObject)[keyId] as string;
}

describe('event signing: spec vectors (appendices "Event Signing")', () => {
  for (const c of vectors.cases) {
    describe(c.name, () => {
      it('content hash input and hash', () => {
        for (const v of versions) expect(contentHashInput(c.input, v)).toBe(c.derived.content_hash_input);
        expect(encodeBase64(computeContentHash(c.input, versions[0]!))).toBe((c.expected.hashes as JsonObject).sha256);
      });

      it('rooms v1-v10 reproduce the spec signature exactly', () => {
        for (const v of preV11) {
          expect(hashAndSignEvent(c.input, server, key, v), `room v${v.id}`).toEqual(c.expected);
          expect(redactedSigningJson(c.expected, v)).toBe(c.derived.signed_bytes_redaction_v1_to_v10);
        }
      });

      it('rooms v11+ sign without the top-level origin (derived value)', () => {
        for (const v of v11Plus) {
          const signed = hashAndSignEvent(c.input, server, key, v);
          expect(redactedSigningJson(signed, v)).toBe(c.derived.signed_bytes_redaction_v11_plus);
          expect(signatureOf(signed)).toBe(c.derived.signature_if_redaction_v11_plus);
          expect({ ...signed, signatures: c.expected.signatures }).toEqual(c.expected);
        }
      });

      // v1/v2 events need an event_id (its server must sign too); the minimal event has none.
      const applicable = preV11.filter((v) => v.eventIdFormat !== 'explicit' || 'event_id' in c.expected);

      it('signatures verify for the right rule set only', () => {
        for (const v of applicable) expect(verifyEventSignatures(c.expected, v, lookup)).toEqual({ ok: true });
        for (const v of preV11.filter((x) => !applicable.includes(x))) {
          expect(verifyEventSignatures(c.expected, v, lookup)).toEqual({ ok: false, reason: 'event_id has no server name' });
        }
        for (const v of v11Plus) expect(verifyEventSignatures(c.expected, v, lookup).ok).toBe(false);
      });

      it('content hash matches, and a redacted copy still verifies but fails the hash when content was stripped', () => {
        for (const v of applicable) {
          expect(contentHashMatches(c.expected, v)).toBe(true);
          const redacted = redactEvent(c.expected, v);
          expect(verifyEventSignatures(redacted, v, lookup)).toEqual({ ok: true });
          const contentStripped = Object.keys(c.expected.content as JsonObject).length > 0;
          expect(contentHashMatches(redacted, v)).toBe(!contentStripped);
        }
      });
    });
  }

  it('minimal-event reference hashes and event IDs', () => {
    const c = vectors.cases.find((x) => x.name === 'minimal-event')!;
    const pre = c.derived.reference_hash_v1_to_v10_redaction!;
    const post = c.derived.reference_hash_v11_plus_redaction!;
    for (const v of preV11) expect(encodeBase64(computeReferenceHash(c.expected, v))).toBe(pre.sha256_base64);
    expect(eventIdOf(validatePdu(c.expected, requireRoomVersion('3')), requireRoomVersion('3'))).toBe(pre.event_id_v3);
    for (const id of ['4', '5', '6', '7', '8', '9', '10']) {
      const v = requireRoomVersion(id);
      expect(eventIdOf(validatePdu(c.expected, v), v)).toBe(pre.event_id_v4_plus);
    }
    const v11 = requireRoomVersion('11');
    expect(encodeBase64(computeReferenceHash(c.expected, v11))).toBe(post.sha256_base64);
    expect(eventIdOf(validatePdu(c.expected, v11), v11)).toBe(post.event_id_v4_plus);
  });
});

describe('room v12 create event (derived example)', () => {
  const version = requireRoomVersion('12');
  it('hashes, signs and derives the room ID', () => {
    expect(contentHashInput(v12.create_event_unsigned_input, version)).toBe(v12.content_hash_input);
    const signed = hashAndSignEvent(v12.create_event_unsigned_input, server, key, version);
    expect(signed).toEqual(v12.signed_create_event);
    expect(redactedSigningJson(signed, version)).toBe(v12.reference_hash_input);
    const pdu = validatePdu(signed, version);
    expect(eventIdOf(pdu, version)).toBe(v12.create_event_id);
    expect(roomIdFromCreateEventId(v12.create_event_id)).toBe(v12.room_id);
    const event = toRoomEvent(pdu, version);
    expect(event.room_id).toBe(v12.room_id);
    expect(event.event_id).toBe(v12.create_event_id);
    expect(verifyEventSignatures(signed, version, lookup)).toEqual({ ok: true });
  });
});

describe('hashes', () => {
  const v = requireRoomVersion('10');
  const base = vectors.cases[1]!.expected;

  it('addContentHash replaces old hashes and never mutates its input', () => {
    const input = { ...base, hashes: { sha256: 'old', sha512: 'x' } };
    const snapshot = JSON.stringify(input);
    expect(addContentHash(input, v).hashes).toEqual(base.hashes);
    expect(JSON.stringify(input)).toBe(snapshot);
  });

  it('contentHashMatches compares decoded bytes and never throws', () => {
    const hash = (base.hashes as JsonObject).sha256 as string;
    const padded = { ...base, hashes: { sha256: hash + '=' } };
    const urlSafe = { ...base, hashes: { sha256: hash.replaceAll('/', '_').replaceAll('+', '-') } };
    expect(contentHashMatches(padded, v)).toBe(true);
    expect(contentHashMatches(urlSafe, v)).toBe(true);
    for (const hashes of [undefined, null, 'x', {}, { sha256: 5 }, { sha256: '***' }, { sha256: hash.slice(0, 20) }]) {
      expect(contentHashMatches({ ...base, hashes: hashes as JsonObject }, v)).toBe(false);
    }
    expect(contentHashMatches({ ...base, content: { body: 'changed' } }, v)).toBe(false);
    // unsigned and signatures are outside the content hash.
    expect(contentHashMatches({ ...base, unsigned: { age: 1 }, signatures: {} }, v)).toBe(true);
    // A JSON "__proto__" key is data like any other and is covered by the hash.
    const protoContent = JSON.parse('{"__proto__": {"x": 1}}') as JsonObject;
    const withProto = addContentHash({ ...base, content: protoContent }, v);
    expect(contentHashInput(withProto, v)).toContain('"__proto__":{"x":1}');
    expect(contentHashMatches({ ...withProto, content: {} }, v)).toBe(false);
    // A float cannot be hashed in strict room versions: a mismatch, not an exception.
    expect(contentHashMatches({ ...base, content: { n: 0.5 } }, v)).toBe(false);
  });
});

// --- verification rules ---

const other = signingKeyFromSeed(new Uint8Array(32).fill(1), 'ed25519:o');
const third = signingKeyFromSeed(new Uint8Array(32).fill(2), 'ed25519:t');
const fullKeyring = keyring([server, key], ['other.example', other], ['third.example', third]);

function event(version: RoomVersion, fields: JsonObject = {}): JsonObject {
  const base: JsonObject = {
    type: 'm.room.message',
    sender: '@a:domain',
    room_id: version.roomIdFromCreateEvent ? '!' + 'A'.repeat(43) : '!r:domain',
    origin_server_ts: 1,
    depth: 2,
    content: { body: 'hi' },
    prev_events: [],
    auth_events: [],
    hashes: {},
    signatures: {},
  };
  if (version.eventIdFormat === 'explicit') base.event_id = '$e:domain';
  return { ...base, ...fields };
}

describe('verifyEventSignatures: which servers must sign', () => {
  it('needs the sender server signature', () => {
    for (const v of versions) {
      const signed = hashAndSignEvent(event(v), server, key, v);
      expect(verifyEventSignatures(signed, v, fullKeyring)).toEqual({ ok: true });
      const byOther = hashAndSignEvent(event(v), 'other.example', other, v);
      expect(verifyEventSignatures(byOther, v, fullKeyring)).toMatchObject({ ok: false, reason: 'no signature from domain' });
    }
  });

  it('rooms v1/v2 also need the event_id server signature', () => {
    for (const v of versions) {
      if (v.eventIdFormat !== 'explicit') continue;
      const foreignId = event(v, { event_id: '$e:other.example' });
      const senderOnly = hashAndSignEvent(foreignId, server, key, v);
      expect(requiredSigningServers(senderOnly, v)).toEqual(['domain', 'other.example']);
      expect(verifyEventSignatures(senderOnly, v, fullKeyring).ok).toBe(false);
      const both = hashAndSignEvent(senderOnly, 'other.example', other, v);
      expect(verifyEventSignatures(both, v, fullKeyring)).toEqual({ ok: true });
    }
  });

  it('v8+ restricted joins also need the authorising server signature', () => {
    const join = (v: RoomVersion) =>
      event(v, {
        type: 'm.room.member',
        state_key: '@a:domain',
        content: { membership: 'join', join_authorised_via_users_server: '@admin:third.example' },
      });
    for (const v of versions) {
      const senderOnly = hashAndSignEvent(join(v), server, key, v);
      if (!v.restrictedJoins) {
        expect(verifyEventSignatures(senderOnly, v, fullKeyring), `v${v.id}`).toEqual({ ok: true });
        continue;
      }
      expect(verifyEventSignatures(senderOnly, v, fullKeyring)).toMatchObject({ ok: false, reason: 'no signature from third.example' });
      const both = hashAndSignEvent(senderOnly, 'third.example', third, v);
      expect(verifyEventSignatures(both, v, fullKeyring)).toEqual({ ok: true });
      const bogus = { ...join(v), content: { membership: 'join', join_authorised_via_users_server: 7 } };
      expect(verifyEventSignatures(hashAndSignEvent(bogus, server, key, v), v, fullKeyring).ok).toBe(false);
    }
  });

  it('a 3pid invite does not need its sender server signature, but needs some valid one', () => {
    const v = requireRoomVersion('11');
    const invite = event(v, {
      type: 'm.room.member',
      state_key: '@b:other.example',
      content: { membership: 'invite', third_party_invite: { signed: { token: 't' } } },
    });
    expect(verifyEventSignatures(hashAndSignEvent(invite, 'other.example', other, v), v, fullKeyring)).toEqual({ ok: true });
    expect(verifyEventSignatures(invite, v, fullKeyring).ok).toBe(false);
  });

  it('skips unknown keys and other algorithms, but every known key must verify', () => {
    const v = requireRoomVersion('10');
    const signed = hashAndSignEvent(event(v), server, key, v);
    const sigs = (signed.signatures as JsonObject).domain as JsonObject;
    const extra = { ...signed, signatures: { domain: { ...sigs, 'ed25519:unknown': 'AAAA', 'curve25519:x': 'junk' } } };
    expect(verifyEventSignatures(extra, v, fullKeyring)).toEqual({ ok: true });
    expect(verifyEventSignatures(signed, v, () => undefined)).toMatchObject({ ok: false });
    // A second known key with a bad signature spoils it.
    const twoKeys = keyring([server, key], [server, other]);
    const badSecond = { ...signed, signatures: { domain: { ...sigs, 'ed25519:o': sigs['ed25519:1'] as string } } };
    expect(verifyEventSignatures(badSecond, v, twoKeys)).toMatchObject({ ok: false, reason: 'bad signature from domain with ed25519:o' });
  });

  it('reports malformed events instead of throwing', () => {
    const v = requireRoomVersion('10');
    const signed = hashAndSignEvent(event(v), server, key, v);
    expect(verifyEventSignatures({ ...signed, sender: 5 }, v, lookup).ok).toBe(false);
    expect(verifyEventSignatures({ ...signed, sender: '@nohost' }, v, lookup).ok).toBe(false);
    expect(verifyEventSignatures({ ...signed, signatures: null }, v, lookup).ok).toBe(false);
    expect(verifyEventSignatures({ ...signed, depth: 0.5 }, v, lookup).ok).toBe(false);
    const v1 = requireRoomVersion('1');
    expect(verifyEventSignatures({ ...hashAndSignEvent(event(v1), server, key, v1), event_id: 'nope' }, v1, lookup).ok).toBe(false);
  });
});

describe('event signing: properties', () => {
  const body = fc.string({ maxLength: 30 }).filter((s) => s.isWellFormed());

  it('sign then verify round-trips in every room version', () => {
    fc.assert(
      fc.property(fc.constantFrom(...versions), body, fc.nat(2 ** 40), (v, text, ts) => {
        const signed = hashAndSignEvent(event(v, { content: { body: text }, origin_server_ts: ts }), server, key, v);
        expect(verifyEventSignatures(signed, v, lookup)).toEqual({ ok: true });
        expect(contentHashMatches(signed, v)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('a flipped bit in the signature fails; a changed protected field fails; changed content only fails the hash', () => {
    fc.assert(
      fc.property(fc.constantFrom(...versions), fc.nat(63), fc.nat(7), body, (v, byte, bit, text) => {
        const signed = hashAndSignEvent(event(v), server, key, v);
        const sig = decodeBase64(signatureOf(signed));
        sig[byte]! ^= 1 << bit;
        const flipped = { ...signed, signatures: { [server]: { [key.keyId]: encodeBase64(sig) } } };
        expect(verifyEventSignatures(flipped, v, lookup).ok).toBe(false);

        expect(verifyEventSignatures({ ...signed, depth: 3 }, v, lookup).ok).toBe(false);
        expect(verifyEventSignatures({ ...signed, origin_server_ts: 2 }, v, lookup).ok).toBe(false);

        fc.pre(text !== 'hi');
        const edited = { ...signed, content: { body: text } };
        expect(verifyEventSignatures(edited, v, lookup)).toEqual({ ok: true });
        expect(contentHashMatches(edited, v)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });
});
