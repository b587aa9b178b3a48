import { Encoder } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { CborBodyError, decodeCborBody, encodeCborBody } from '../../src/transport/coap/cbor-body.js';

const raw = new Encoder({ useRecords: false, mapsAsObjects: false, variableMapSize: true, tagUint8Array: false });

// The MSC3079 test object and its canonical CBOR with integer keys (102 bytes).
const MSC_JSON = {
  type: 'm.room.message',
  content: { msgtype: 'm.text', body: 'Hello World' },
  sender: '@alice:localhost',
  room_id: '!foo:localhost',
  unsigned: { bool_value: true, null_value: null },
};
const MSC_CBOR =
  'a5026e6d2e726f6f6d2e6d65737361676503a2181b6b48656c6c6f20576f726c64181c666d2e74657874056e21666f6f3a6c6f63616c686f7374067040616c6963653a6c6f63616c686f737409a26a626f6f6c5f76616c7565f56a6e756c6c5f76616c7565f6';

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]));
}

describe('CBOR bodies with MSC3079 integer keys', () => {
  it('decodes the MSC test vector to the JSON object, noting integer keys', () => {
    const decoded = decodeCborBody(Buffer.from(MSC_CBOR, 'hex'));
    expect(decoded.value).toEqual(MSC_JSON);
    expect(decoded.usedIntegerKeys).toBe(true);
  });

  it('encodes the MSC test vector byte for byte (keys in canonical order)', () => {
    // The MSC's vector is canonical CBOR: we feed keys sorted so the map order matches.
    const canonicalInput = { type: MSC_JSON.type, content: { body: 'Hello World', msgtype: 'm.text' }, room_id: MSC_JSON.room_id, sender: MSC_JSON.sender, unsigned: MSC_JSON.unsigned };
    expect(encodeCborBody(canonicalInput, true).toString('hex')).toBe(MSC_CBOR);
  });

  it('plain string keys round-trip without integer keys', () => {
    const encoded = encodeCborBody(MSC_JSON, false);
    const decoded = decodeCborBody(encoded);
    expect(sortedKeys(decoded.value)).toEqual(sortedKeys(MSC_JSON));
    expect(decoded.usedIntegerKeys).toBe(false);
  });

  it('the string key wins over the integer key, in either order', () => {
    const intFirst = raw.encode(new Map<string | number, string>([[27, 'from int'], ['body', 'from string']]));
    const stringFirst = raw.encode(new Map<string | number, string>([['body', 'from string'], [27, 'from int']]));
    expect(decodeCborBody(intFirst).value).toEqual({ body: 'from string' });
    expect(decodeCborBody(stringFirst).value).toEqual({ body: 'from string' });
  });

  it('never expands a string that looks like a number', () => {
    expect(decodeCborBody(raw.encode(new Map([['8', 1]]))).value).toEqual({ '8': 1 });
    expect(encodeCborBody({ '8': 1 }, true).toString('hex')).toBe('a1613801');
  });

  it('rejects what JSON cannot carry', () => {
    const expectError = (payload: Buffer, errcode: string): void => {
      try {
        decodeCborBody(payload);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(CborBodyError);
        expect((error as CborBodyError).errcode).toBe(errcode);
      }
    };
    expectError(Buffer.from('ff', 'hex'), 'M_NOT_JSON');
    expectError(Buffer.from('a16161', 'hex'), 'M_NOT_JSON'); // truncated
    expectError(raw.encode(new Map([[999, 'x']])), 'M_BAD_JSON'); // integer key not in table
    expectError(Buffer.from('a161614401020304', 'hex'), 'M_BAD_JSON'); // byte string
    expectError(Buffer.from('a16161f7', 'hex'), 'M_BAD_JSON'); // undefined
    expectError(Buffer.from('c11a514b67b0', 'hex'), 'M_BAD_JSON'); // tagged date
    expectError(Buffer.from('1bffffffffffffffff', 'hex'), 'M_BAD_JSON'); // beyond 2^53
    expectError(Buffer.from('81'.repeat(200) + '00', 'hex'), 'M_BAD_JSON'); // nested 200 deep
  });

  it('a "__proto__" key is data, not a prototype', () => {
    const decoded = decodeCborBody(raw.encode(new Map([['__proto__', new Map([['polluted', true]])]])));
    const object = decoded.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(Object.keys(object)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
