/**
 * CoAP over TCP/TLS message framing (RFC 8323 §3.2). No type and no message ID (the connection
 * is reliable and ordered); a length field instead:
 *
 *   Len (4 bits) | TKL (4 bits) | Extended Length (0, 1, 2 or 4 bytes) | Code | Token | Options | 0xFF Payload
 *
 * Len counts the options, the payload marker and the payload: 0–12 as is; 13, 14, 15 mean an
 * extended length of 1, 2 or 4 bytes holding Len − 13, − 269, − 65805. Options and payload are
 * encoded exactly as over UDP (shared codec in core/oscore/message-parts.ts).
 */

import { byteToCode, codeToByte, decodeOptionsAndPayload, encodeOptions, sortOptions, type CoapOption } from '../../../core/oscore/message-parts.js';

export interface TcpMessage {
  readonly code: string;
  readonly token: Buffer;
  readonly options: readonly CoapOption[];
  readonly payload: Buffer;
}

export function encodeTcpMessage(message: TcpMessage): Buffer {
  if (message.token.length > 8) throw new RangeError('token longer than 8 bytes');
  const body = Buffer.concat([encodeOptions(sortOptions(message.options)), ...(message.payload.length > 0 ? [Buffer.of(0xff), message.payload] : [])]);
  const length = body.length;
  let first: number;
  let extended: Buffer;
  if (length < 13) {
    first = length;
    extended = Buffer.alloc(0);
  } else if (length < 269) {
    first = 13;
    extended = Buffer.of(length - 13);
  } else if (length < 65805) {
    first = 14;
    extended = Buffer.alloc(2);
    extended.writeUInt16BE(length - 269);
  } else {
    first = 15;
    extended = Buffer.alloc(4);
    extended.writeUInt32BE(length - 65805);
  }
  return Buffer.concat([Buffer.of((first << 4) | message.token.length), extended, Buffer.of(codeToByte(message.code)), message.token, body]);
}

export type FrameResult =
  | { readonly kind: 'need-more' }
  | { readonly kind: 'message'; readonly message: TcpMessage; readonly consumed: number }
  | { readonly kind: 'error'; readonly reason: string };

/**
 * Reads one message from the front of `buffer`. `maxMessageSize` bounds what we buffer for one
 * message (the CSM's Max-Message-Size we advertised): a longer one is a connection error.
 */
export function decodeTcpFrame(buffer: Buffer, maxMessageSize: number): FrameResult {
  if (buffer.length < 2) return { kind: 'need-more' };
  const first = buffer[0]!;
  const len = first >> 4;
  const tkl = first & 0x0f;
  if (tkl > 8) return { kind: 'error', reason: 'token length over 8' };
  const extendedBytes = len === 13 ? 1 : len === 14 ? 2 : len === 15 ? 4 : 0;
  const headerLength = 1 + extendedBytes + 1;
  if (buffer.length < headerLength) return { kind: 'need-more' };
  let bodyLength = len;
  if (len === 13) bodyLength = buffer[1]! + 13;
  else if (len === 14) bodyLength = buffer.readUInt16BE(1) + 269;
  else if (len === 15) bodyLength = buffer.readUInt32BE(1) + 65805;
  if (bodyLength > maxMessageSize) return { kind: 'error', reason: `message of ${bodyLength} bytes over Max-Message-Size ${maxMessageSize}` };
  const total = headerLength + tkl + bodyLength;
  if (buffer.length < total) return { kind: 'need-more' };
  const code = byteToCode(buffer[1 + extendedBytes]!);
  const token = Buffer.from(buffer.subarray(headerLength, headerLength + tkl));
  const rest = decodeOptionsAndPayload(Buffer.from(buffer.subarray(headerLength + tkl, total)));
  if (rest === undefined) return { kind: 'error', reason: 'malformed options' };
  return { kind: 'message', message: { code, token, options: rest.options, payload: rest.payload }, consumed: total };
}
