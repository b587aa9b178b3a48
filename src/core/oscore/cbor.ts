/**
 * The few CBOR shapes OSCORE feeds into HKDF and the AEAD (RFC 8613 §3.2.1 `info`, §5.4
 * `aad_array` and COSE's `Enc_structure`): unsigned/negative integers, byte and text strings,
 * null and arrays. Written out by hand rather than with cbor-x because these bytes are inputs to
 * key derivation and authentication: they must be the one deterministic encoding (shortest
 * heads, definite lengths) and nothing a general-purpose encoder might choose differently.
 */

export type CborItem = Uint8Array | number | string | null | readonly CborItem[];

function head(major: number, value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`CBOR head value out of range: ${value}`);
  const m = major << 5;
  if (value < 24) return Buffer.of(m | value);
  if (value < 0x100) return Buffer.of(m | 24, value);
  if (value < 0x10000) return Buffer.of(m | 25, value >> 8, value & 0xff);
  if (value < 0x1_0000_0000) {
    const out = Buffer.alloc(5);
    out[0] = m | 26;
    out.writeUInt32BE(value, 1);
    return out;
  }
  const out = Buffer.alloc(9);
  out[0] = m | 27;
  out.writeBigUInt64BE(BigInt(value), 1);
  return out;
}

export function encodeCbor(item: CborItem): Buffer {
  if (item === null) return Buffer.of(0xf6);
  if (typeof item === 'number') return item >= 0 ? head(0, item) : head(1, -1 - item);
  if (typeof item === 'string') {
    const bytes = Buffer.from(item, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (item instanceof Uint8Array) return Buffer.concat([head(2, item.length), item]);
  return Buffer.concat([head(4, item.length), ...item.map(encodeCbor)]);
}
