import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../src/core/base64.js';
import { CanonicalJsonError } from '../../src/core/canonical-json.js';
import { ProtocolError } from '../../src/core/errors.js';
import type { JsonObject, JsonValue } from '../../src/core/json.js';
import {
  formatSigningKeyFile,
  parseSigningKeyFile,
  signableJson,
  signingKeyFromSeed,
  SigningKeyError,
  SigningKeyFileError,
  signJson,
  verifyBytes,
  verifyJsonSignature,
} from '../../src/core/signing.js';
import { loadVector } from './spec-vectors.js';

interface SigningVectors {
  signing_key: {
    seed_base64: string;
    seed_hex: string;
    server_name: string;
    key_id: string;
    derived_public_key_base64: string;
    derived_public_key_hex: string;
  };
  json_signing: { name: string; input: JsonObject; expected: JsonObject; derived_signed_bytes: string }[];
  other_spec_example: { object: JsonObject };
}

const vectors = loadVector<SigningVectors>('signing.json');
const spec = vectors.signing_key;
const specKey = signingKeyFromSeed(decodeBase64(spec.seed_base64), spec.key_id);

describe('signing key from the spec seed', () => {
  it('decodes the seed leniently (its last character has non-zero trailing bits)', () => {
    expect(Buffer.from(specKey.seed).toString('hex')).toBe(spec.seed_hex);
  });
  it('derives the public key', () => {
    expect(Buffer.from(specKey.publicKey).toString('hex')).toBe(spec.derived_public_key_hex);
    expect(specKey.publicKeyBase64).toBe(spec.derived_public_key_base64);
    expect(specKey.keyId).toBe('ed25519:1');
  });
  it('copies the seed so later changes to the caller buffer do not alter the key', () => {
    const seed = decodeBase64(spec.seed_base64);
    const key = signingKeyFromSeed(seed, 'ed25519:x');
    seed.fill(0);
    expect(Buffer.from(key.seed).toString('hex')).toBe(spec.seed_hex);
  });
  it('rejects wrong seed lengths and key IDs', () => {
    expect(() => signingKeyFromSeed(new Uint8Array(31), 'ed25519:1')).toThrow(SigningKeyError);
    expect(() => signingKeyFromSeed(new Uint8Array(32), 'curve25519:1')).toThrow(SigningKeyError);
    expect(() => signingKeyFromSeed(new Uint8Array(32), 'ed25519:')).toThrow(SigningKeyError);
    expect(() => signingKeyFromSeed(new Uint8Array(32), 'ed25519:a b')).toThrow(SigningKeyError);
  });
});

describe('JSON signing: spec vectors', () => {
  for (const c of vectors.json_signing) {
    it(c.name, () => {
      expect(signableJson(c.input)).toBe(c.derived_signed_bytes);
      const signed = signJson(c.input, spec.server_name, specKey);
      expect(signed).toEqual(c.expected);
      expect(c.input).not.toHaveProperty('signatures');
      expect(verifyJsonSignature(c.expected, spec.server_name, spec.key_id, specKey.publicKey)).toBe(true);
    });
  }

  it('the illustrative "Signing Details" object does not verify (the spec never printed its key) and does not throw', () => {
    const example = vectors.other_spec_example.object;
    const key = decodeBase64((example.signing_keys as JsonObject)['ed25519:1'] as string);
    expect(verifyJsonSignature(example, 'example.org', 'ed25519:1', key)).toBe(false);
    expect(verifyJsonSignature(example, 'example.org', 'ed25519:1', specKey.publicKey)).toBe(false);
  });
});

describe('JSON signing: behaviour', () => {
  const signed = signJson({ one: 1, unsigned: { age_ts: 5 } }, 'domain', specKey);

  it('ignores unsigned and keeps it', () => {
    expect(signed.unsigned).toEqual({ age_ts: 5 });
    const changed = { ...signed, unsigned: { age_ts: 99, extra: true } };
    expect(verifyJsonSignature(changed, 'domain', 'ed25519:1', specKey.publicKey)).toBe(true);
  });

  it('keeps existing signatures, including other keys of the same entity', () => {
    const other = signingKeyFromSeed(new Uint8Array(32).fill(7), 'ed25519:other');
    const twice = signJson(signJson(signed, 'elsewhere', other), 'domain', other);
    expect(Object.keys(twice.signatures as JsonObject).sort()).toEqual(['domain', 'elsewhere']);
    expect(Object.keys((twice.signatures as JsonObject).domain as JsonObject).sort()).toEqual(['ed25519:1', 'ed25519:other']);
    for (const [entity, key] of [
      ['domain', specKey],
      ['domain', other],
      ['elsewhere', other],
    ] as const) {
      expect(verifyJsonSignature(twice, entity, key.keyId, key.publicKey)).toBe(true);
    }
  });

  it('treats an entity named __proto__ as data', () => {
    const weird = signJson({ a: 1 }, '__proto__', specKey);
    expect(Object.hasOwn(weird.signatures as JsonObject, '__proto__')).toBe(true);
    expect(verifyJsonSignature(weird, '__proto__', 'ed25519:1', specKey.publicKey)).toBe(true);
  });

  it('throws CanonicalJsonError when asked to sign a float', () => {
    expect(() => signJson({ a: 1.5 }, 'domain', specKey)).toThrow(CanonicalJsonError);
  });

  it('returns false, never throws, for missing or garbled signatures and keys', () => {
    const sig = ((signed.signatures as JsonObject).domain as JsonObject)['ed25519:1'] as string;
    const variants: JsonObject[] = [
      { one: 1 },
      { one: 1, signatures: null },
      { one: 1, signatures: [] },
      { one: 1, signatures: { domain: 'x' } },
      { one: 1, signatures: { domain: { 'ed25519:1': 5 } } },
      { one: 1, signatures: { domain: { 'ed25519:1': 'not*base64' } } },
      { one: 1, signatures: { domain: { 'ed25519:1': sig.slice(0, 40) } } },
      { one: 1, signatures: { domain: { 'ed25519:1': sig + 'AAAA' } } },
      { one: 1.5, signatures: { domain: { 'ed25519:1': sig } } },
      { one: '\ud800', signatures: { domain: { 'ed25519:1': sig } } },
    ];
    for (const v of variants) expect(verifyJsonSignature(v, 'domain', 'ed25519:1', specKey.publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:2', specKey.publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, 'other', 'ed25519:1', specKey.publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:1', specKey.publicKey.subarray(0, 31))).toBe(false);
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:1', new Uint8Array(32))).toBe(false);
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:1', specKey.publicKey)).toBe(true);
  });

  it('verifyBytes rejects short signatures', () => {
    expect(verifyBytes(specKey.publicKey, Buffer.from('x'), new Uint8Array(63))).toBe(false);
  });
});

// --- properties ---

const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.string({ unit: 'binary', maxLength: 6 }).filter((s) => s.isWellFormed()),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;
const jsonObject = fc.dictionary(fc.string({ maxLength: 6 }), jsonValue, { maxKeys: 6 });
const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('JSON signing: properties', () => {
  it('sign then verify round-trips for any object and key', () => {
    fc.assert(
      fc.property(jsonObject, seed, fc.string({ minLength: 1, maxLength: 10 }), (object, seedBytes, entity) => {
        const key = signingKeyFromSeed(seedBytes, 'ed25519:k');
        const signed = signJson(object, entity, key);
        expect(verifyJsonSignature(signed, entity, 'ed25519:k', key.publicKey)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('a flipped bit in the signature fails verification', () => {
    fc.assert(
      fc.property(jsonObject, fc.nat(63), fc.nat(7), (object, byte, bit) => {
        const signed = signJson(object, 'domain', specKey);
        const sig = decodeBase64(((signed.signatures as JsonObject).domain as JsonObject)['ed25519:1'] as string);
        sig[byte]! ^= 1 << bit;
        const tampered = { ...signed, signatures: { domain: { 'ed25519:1': encodeBase64(sig) } } };
        expect(verifyJsonSignature(tampered, 'domain', 'ed25519:1', specKey.publicKey)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('a changed signed member fails verification', () => {
    fc.assert(
      fc.property(jsonObject, fc.string({ maxLength: 6 }), jsonValue, (object, key, value) => {
        fc.pre(key !== 'signatures' && key !== 'unsigned');
        const signed = signJson(object, 'domain', specKey);
        const tampered = { ...signed, [key]: value };
        fc.pre(signableJson(tampered) !== signableJson(signed));
        expect(verifyJsonSignature(tampered, 'domain', 'ed25519:1', specKey.publicKey)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Synapse signing key file', () => {
  it('parses the spec seed in Synapse format and writes it back canonically', () => {
    const [key, ...rest] = parseSigningKeyFile(`ed25519 1 ${spec.seed_base64}\n`);
    expect(rest).toHaveLength(0);
    expect(key!.keyId).toBe('ed25519:1');
    expect(key!.publicKeyBase64).toBe(spec.derived_public_key_base64);
    // Written with canonical trailing bits: the spec's "...XA1" becomes "...XA0".
    expect(formatSigningKeyFile([key!])).toBe(`ed25519 1 ${spec.seed_base64.slice(0, -1)}0\n`);
  });

  it('round-trips several keys, tolerating blank lines and CRLF', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/), { minLength: 1, maxLength: 4 }), seed, (versions, s) => {
        const keys = versions.map((v, i) => signingKeyFromSeed(s.map((b) => b ^ i), `ed25519:${v}`));
        const text = formatSigningKeyFile(keys);
        const parsed = parseSigningKeyFile('\r\n' + text.replaceAll('\n', '\r\n') + '\n');
        expect(parsed.map((k) => [k.keyId, k.publicKeyBase64])).toEqual(keys.map((k) => [k.keyId, k.publicKeyBase64]));
      }),
      { numRuns: 50 },
    );
  });

  it('names the offending line', () => {
    const good = `ed25519 a ${spec.seed_base64}`;
    const cases: [string, number][] = [
      ['ed25519 a', 1],
      [`${good}\nrsa b ${spec.seed_base64}`, 2],
      [`${good}\n\ned25519 b c d`, 3],
      [`ed25519 a-b ${spec.seed_base64}`, 1],
      ['ed25519 a AAAA', 1],
      ['ed25519 a @@@@', 1],
      [`${good}\n${good}`, 2],
    ];
    for (const [text, line] of cases) {
      try {
        parseSigningKeyFile(text);
        expect.unreachable(text);
      } catch (err) {
        expect(err).toBeInstanceOf(SigningKeyFileError);
        expect(err).toBeInstanceOf(ProtocolError);
        expect((err as SigningKeyFileError).line).toBe(line);
      }
    }
  });

  it('an empty file has no keys', () => {
    expect(parseSigningKeyFile('')).toEqual([]);
    expect(parseSigningKeyFile('\n  \n')).toEqual([]);
  });
});
