import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Base64Error, decodeBase64, encodeBase64, encodeBase64Url } from '../../src/core/base64.js';
import { loadVector } from './spec-vectors.js';

const vectors = loadVector<{ cases: { input: string; expected: string }[] }>('unpadded-base64.json');

describe('unpadded base64: spec vectors', () => {
  it('has the 7 RFC 4648 examples', () => expect(vectors.cases).toHaveLength(7));
  for (const c of vectors.cases) {
    it(JSON.stringify(c.input), () => {
      const bytes = Buffer.from(c.input, 'utf8');
      expect(encodeBase64(bytes)).toBe(c.expected);
      expect(Buffer.from(decodeBase64(c.expected)).toString('utf8')).toBe(c.input);
      // Decoders SHOULD accept padded input too.
      const padded = c.expected + '='.repeat((4 - (c.expected.length % 4)) % 4);
      expect(Buffer.from(decodeBase64(padded)).toString('utf8')).toBe(c.input);
    });
  }
});

describe('unpadded base64: behaviour', () => {
  it('URL-safe variant uses - and _', () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xbf]);
    expect(encodeBase64(bytes)).toBe('+/+/');
    expect(encodeBase64Url(bytes)).toBe('-_-_');
    expect(decodeBase64('-_-_')).toEqual(bytes);
  });

  it('encodes a subarray, not its whole backing buffer', () => {
    const backing = new Uint8Array([1, 2, 3, 4, 5]);
    expect(encodeBase64(backing.subarray(1, 3))).toBe(encodeBase64(new Uint8Array([2, 3])));
  });

  it('rejects characters outside both alphabets and impossible lengths', () => {
    for (const bad of ['ab c', 'a', 'abcde', 'ab*d', 'Zg===']) {
      expect(() => decodeBase64(bad)).toThrow(Base64Error);
    }
  });

  it('round-trips arbitrary bytes in both alphabets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
        expect(decodeBase64(encodeBase64Url(bytes))).toEqual(bytes);
        expect(encodeBase64(bytes)).not.toMatch(/=/);
      }),
    );
  });
});
