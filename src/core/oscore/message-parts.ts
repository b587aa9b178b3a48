/**
 * The slice of a CoAP message OSCORE works on (RFC 8613 §5.3): the code, the options, the payload.
 * Header fields (type, message ID) and the token are the transport's and are never protected.
 * Codes are written "c.dd" as in RFC 7252 ("0.02", "2.04").
 *
 * The plaintext OSCORE encrypts is  code (1 byte) ‖ Class E options, delta-encoded as in a CoAP
 * message (RFC 7252 §3.1) ‖ 0xFF ‖ payload (marker and payload only when the payload is not
 * empty). This file holds that codec; the option classes are in option-classes.ts.
 */

export interface CoapOption {
  readonly number: number;
  readonly value: Buffer;
}

export interface CoapParts {
  readonly code: string;
  /** Ascending option number; repeats keep their order. */
  readonly options: readonly CoapOption[];
  readonly payload: Buffer;
}

export function codeToByte(code: string): number {
  const match = /^([0-7])\.(\d\d)$/.exec(code);
  if (match === null || Number(match[2]) > 31) throw new RangeError(`not a CoAP code: ${code}`);
  return (Number(match[1]) << 5) | Number(match[2]);
}

export function byteToCode(byte: number): string {
  return `${byte >> 5}.${String(byte & 0x1f).padStart(2, '0')}`;
}

/** Sorts by option number, keeping the order of repeated options (Array.prototype.sort is stable). */
export function sortOptions(options: readonly CoapOption[]): CoapOption[] {
  return [...options].sort((a, b) => a.number - b.number);
}

function nibble(value: number): { nibble: number; extended: Buffer } {
  if (value < 13) return { nibble: value, extended: Buffer.alloc(0) };
  if (value < 269) return { nibble: 13, extended: Buffer.of(value - 13) };
  const extended = Buffer.alloc(2);
  extended.writeUInt16BE(value - 269);
  return { nibble: 14, extended };
}

export function encodeOptions(options: readonly CoapOption[]): Buffer {
  const parts: Buffer[] = [];
  let previous = 0;
  for (const option of sortOptions(options)) {
    const delta = nibble(option.number - previous);
    const length = nibble(option.value.length);
    parts.push(Buffer.of((delta.nibble << 4) | length.nibble), delta.extended, length.extended, option.value);
    previous = option.number;
  }
  return Buffer.concat(parts);
}

/** Options up to the payload marker, and the payload after it; undefined if malformed. */
export function decodeOptionsAndPayload(bytes: Buffer): { options: CoapOption[]; payload: Buffer } | undefined {
  const options: CoapOption[] = [];
  let offset = 0;
  let number = 0;
  const extended = (n: number): number | undefined => {
    if (n < 13) return n;
    if (n === 13) {
      if (offset + 1 > bytes.length) return undefined;
      return bytes[offset++]! + 13;
    }
    if (n === 14) {
      if (offset + 2 > bytes.length) return undefined;
      const value = bytes.readUInt16BE(offset) + 269;
      offset += 2;
      return value;
    }
    return undefined; // 15 is reserved except as the payload marker
  };
  while (offset < bytes.length) {
    const first = bytes[offset++]!;
    if (first === 0xff) {
      // RFC 7252 §3: a marker followed by a zero-length payload is a format error.
      if (offset === bytes.length) return undefined;
      return { options, payload: bytes.subarray(offset) };
    }
    const delta = extended(first >> 4);
    const length = extended(first & 0x0f);
    if (delta === undefined || length === undefined || offset + length > bytes.length) return undefined;
    number += delta;
    options.push({ number, value: bytes.subarray(offset, offset + length) });
    offset += length;
  }
  return { options, payload: Buffer.alloc(0) };
}

export function encodePlaintext(parts: CoapParts): Buffer {
  const payload = parts.payload.length > 0 ? [Buffer.of(0xff), parts.payload] : [];
  return Buffer.concat([Buffer.of(codeToByte(parts.code)), encodeOptions(parts.options), ...payload]);
}

export function decodePlaintext(plaintext: Buffer): CoapParts | undefined {
  if (plaintext.length < 1) return undefined;
  const rest = decodeOptionsAndPayload(plaintext.subarray(1));
  if (rest === undefined) return undefined;
  return { code: byteToCode(plaintext[0]!), options: rest.options, payload: rest.payload };
}
