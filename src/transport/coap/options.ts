/**
 * CoAP option numbers, how we classify them, and the uint codec (RFC 7252 §3.2, §5.4).
 *
 * Option numbers are read raw (coap-packet hands some back by name; message.ts turns them into
 * numbers) because node-coap's `req.url` joins Uri-Path without escaping and its server never
 * rejects unknown critical options. Here the rule is explicit: an odd (critical) option that is
 * not in KNOWN_OPTIONS makes the request fail with 4.02 Bad Option.
 */

export const Opt = {
  IfMatch: 1,
  UriHost: 3,
  ETag: 4,
  IfNoneMatch: 5,
  Observe: 6,
  UriPort: 7,
  LocationPath: 8,
  Oscore: 9,
  UriPath: 11,
  ContentFormat: 12,
  MaxAge: 14,
  UriQuery: 15,
  HopLimit: 16,
  Accept: 17,
  Block2: 23,
  Block1: 27,
  Size2: 28,
  ProxyUri: 35,
  ProxyScheme: 39,
  Size1: 60,
  /** MSC3079: access token ("Bearer " optional). Even number ⇒ elective. */
  AccessToken: 256,
  /** MSC3079: CBOR integer-key table version. Odd number ⇒ critical. */
  CborKeyVersion: 257,
  /** RFC 7967, elective; recognised so it is not counted as unknown (we still answer). */
  NoResponse: 258,
  /** RFC 9175 Request-Tag: part of the Block1 reassembly key when present. */
  RequestTag: 292,
} as const;

/** Options this server understands in requests. Repeatability per RFC 7252 Table 4, RFC 7959, MSC3079. */
const KNOWN_OPTIONS: ReadonlyMap<number, { readonly repeatable: boolean }> = new Map([
  [Opt.UriHost, { repeatable: false }],
  [Opt.ETag, { repeatable: true }],
  [Opt.Observe, { repeatable: false }],
  [Opt.UriPort, { repeatable: false }],
  [Opt.UriPath, { repeatable: true }],
  [Opt.ContentFormat, { repeatable: false }],
  [Opt.UriQuery, { repeatable: true }],
  [Opt.HopLimit, { repeatable: false }],
  [Opt.Accept, { repeatable: false }],
  [Opt.Block2, { repeatable: false }],
  [Opt.Block1, { repeatable: false }],
  [Opt.Size2, { repeatable: false }],
  [Opt.Size1, { repeatable: false }],
  [Opt.AccessToken, { repeatable: false }],
  [Opt.CborKeyVersion, { repeatable: false }],
  [Opt.NoResponse, { repeatable: false }],
  [Opt.RequestTag, { repeatable: true }],
]);

/** RFC 7252 §5.4.6: the low bit of the option number marks it critical. */
export function isCritical(optionNumber: number): boolean {
  return (optionNumber & 1) === 1;
}

export interface RawOption {
  readonly number: number;
  readonly value: Buffer;
}

/**
 * The first critical option we cannot honour, or undefined. A critical option that is unknown,
 * or known but repeated when it must not be, is "unrecognized" (RFC 7252 §5.4.1, §5.4.5).
 * Proxy-Uri/Proxy-Scheme are reported separately by the caller (5.05, not 4.02).
 */
export function firstUnrecognizedCritical(options: readonly RawOption[]): number | undefined {
  const seen = new Set<number>();
  for (const option of options) {
    const known = KNOWN_OPTIONS.get(option.number);
    const repeated = seen.has(option.number);
    seen.add(option.number);
    if (!isCritical(option.number)) continue;
    if (option.number === Opt.ProxyUri || option.number === Opt.ProxyScheme) continue;
    if (known === undefined || (repeated && !known.repeatable)) return option.number;
  }
  return undefined;
}

/** First value of a non-repeatable option (later repeats of an elective one are ignored, RFC 7252 §5.4.5). */
export function optionValue(options: readonly RawOption[], number: number): Buffer | undefined {
  for (const option of options) if (option.number === number) return option.value;
  return undefined;
}

export function optionValues(options: readonly RawOption[], number: number): Buffer[] {
  const values: Buffer[] = [];
  for (const option of options) if (option.number === number) values.push(option.value);
  return values;
}

/** RFC 7252 §3.2 uint: big-endian, no leading zero bytes (0 is the empty string). */
export function encodeUint(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a CoAP uint: ${value}`);
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from(bytes);
}

/** Decodes a uint of at most `maxBytes` bytes; longer values are out of range (undefined). */
export function decodeUint(value: Buffer, maxBytes = 4): number | undefined {
  if (value.length > maxBytes) return undefined;
  let result = 0;
  for (const byte of value) result = result * 256 + byte;
  return result;
}
