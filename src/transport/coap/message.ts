/**
 * Our view of one CoAP message (RFC 7252 §3), on top of `coap-packet` — the packet codec node-coap
 * itself uses. coap-packet is lenient (it truncates options that run past the end, accepts a
 * payload marker with no payload, and RFC 8974 extended tokens), so `decodeMessage` adds the
 * checks RFC 7252 asks for: a datagram is well-formed only if re-encoding what was parsed gives
 * back exactly the same bytes (CoAP's option encoding is canonical, so any truncation, stray
 * marker or trailing garbage shows up as a difference), and tokens are at most 8 bytes.
 */

import { generate, parse } from 'coap-packet';
import { MAX_DATAGRAM_BYTES, MAX_TOKEN_BYTES } from './constants.js';
import type { CoapCode } from './codes.js';
import type { RawOption } from './options.js';

export type MessageType = 'CON' | 'NON' | 'ACK' | 'RST';

export interface CoapMessage {
  readonly type: MessageType;
  readonly code: CoapCode;
  readonly messageId: number;
  readonly token: Buffer;
  /** In wire order (ascending option number; repeats in the order sent). */
  readonly options: readonly RawOption[];
  readonly payload: Buffer;
}

/** coap-packet reports registered options by name; the rest of this transport speaks numbers. */
const NUMBER_BY_NAME: ReadonlyMap<string, number> = new Map([
  ['If-Match', 1], ['Uri-Host', 3], ['ETag', 4], ['If-None-Match', 5], ['Observe', 6],
  ['Uri-Port', 7], ['Location-Path', 8], ['OSCORE', 9], ['Uri-Path', 11], ['Content-Format', 12],
  ['Max-Age', 14], ['Uri-Query', 15], ['Hop-Limit', 16], ['Accept', 17], ['Q-Block1', 19],
  ['Location-Query', 20], ['Block2', 23], ['Block1', 27], ['Size2', 28], ['Q-Block2', 31],
  ['Proxy-Uri', 35], ['Proxy-Scheme', 39], ['Size1', 60], ['No-Response', 258],
  ['OCF-Accept-Content-Format-Version', 2049], ['OCF-Content-Format-Version', 2053],
]);

function optionNumber(name: string | number): number {
  if (typeof name === 'number') return name;
  return NUMBER_BY_NAME.get(name) ?? Number.parseInt(name, 10);
}

export type DecodeResult =
  | { readonly ok: true; readonly message: CoapMessage }
  /** `rejectable`: the header was readable, so a CON can be answered with RST (RFC 7252 §4.2). */
  | { readonly ok: false; readonly rejectable: { readonly type: MessageType; readonly messageId: number } | undefined };

const TYPES: readonly MessageType[] = ['CON', 'NON', 'ACK', 'RST'];

export function decodeMessage(datagram: Buffer): DecodeResult {
  if (datagram.length < 4) return { ok: false, rejectable: undefined };
  const first = datagram[0] ?? 0;
  // RFC 7252 §3: unknown version numbers MUST be silently ignored.
  if (first >> 6 !== 1) return { ok: false, rejectable: undefined };
  const header = { type: TYPES[(first >> 4) & 3] ?? 'CON', messageId: datagram.readUInt16BE(2) };
  if ((first & 0x0f) > MAX_TOKEN_BYTES) return { ok: false, rejectable: header };
  let message: CoapMessage;
  try {
    const parsed = parse(datagram);
    message = {
      type: parsed.confirmable ? 'CON' : parsed.ack ? 'ACK' : parsed.reset ? 'RST' : 'NON',
      code: parsed.code,
      messageId: parsed.messageId,
      token: parsed.token,
      options: parsed.options.map((o) => ({ number: optionNumber(o.name), value: o.value })),
      payload: parsed.payload,
    };
    if (!encodeRaw(message).equals(datagram)) return { ok: false, rejectable: header };
  } catch {
    return { ok: false, rejectable: header };
  }
  return { ok: true, message };
}

function encodeRaw(message: CoapMessage): Buffer {
  return generate(
    {
      code: message.code,
      messageId: message.messageId,
      token: message.token,
      confirmable: message.type === 'CON',
      ack: message.type === 'ACK',
      reset: message.type === 'RST',
      options: message.options.map((o) => ({ name: o.number, value: o.value })),
      payload: message.payload,
    },
    // No cap here: decodeMessage re-encodes whatever arrived; encodeMessage applies ours.
    Number.MAX_SAFE_INTEGER,
  );
}

/** Encodes an outgoing message; throws if it would exceed MAX_DATAGRAM_BYTES. */
export function encodeMessage(message: CoapMessage): Buffer {
  const datagram = encodeRaw(message);
  if (datagram.length > MAX_DATAGRAM_BYTES) {
    throw new RangeError(`CoAP message of ${datagram.length} bytes exceeds ${MAX_DATAGRAM_BYTES}`);
  }
  return datagram;
}

/** An empty message (code 0.00): ACK or RST for `messageId`. */
export function emptyMessage(type: 'ACK' | 'RST', messageId: number): Buffer {
  return encodeMessage({ type, code: '0.00', messageId, token: Buffer.alloc(0), options: [], payload: Buffer.alloc(0) });
}
