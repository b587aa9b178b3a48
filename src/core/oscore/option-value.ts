/**
 * The OSCORE option value (RFC 8613 §6.1), the compressed COSE header:
 *
 *    0 1 2 3 4 5 6 7 <------------- n bytes ------------->
 *   +-+-+-+-+-+-+-+-+------------------------------------
 *   |0 0 0|h|k|  n  |       Partial IV (if any) ...
 *   +-+-+-+-+-+-+-+-+------------------------------------
 *   | s (if h) | kid context (s bytes, if h) | kid (rest, if k) |
 *
 * All flags zero ⇒ the value is empty (a response that reuses the request's nonce). n = 6, 7 and
 * the three high bits are reserved: such a value does not decode ("Failed to decode COSE", 4.02).
 */

export interface OscoreHeader {
  readonly partialIv: Buffer | undefined;
  readonly kid: Buffer | undefined;
  readonly kidContext: Buffer | undefined;
}

export function encodeOscoreOption(header: OscoreHeader): Buffer {
  const piv = header.partialIv ?? Buffer.alloc(0);
  if (piv.length > 5) throw new RangeError('Partial IV longer than 5 bytes');
  if (header.kidContext !== undefined && header.kidContext.length > 255) throw new RangeError('kid context longer than 255 bytes');
  let flags = piv.length;
  if (header.kid !== undefined) flags |= 0x08;
  if (header.kidContext !== undefined) flags |= 0x10;
  if (flags === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [Buffer.of(flags), piv];
  if (header.kidContext !== undefined) parts.push(Buffer.of(header.kidContext.length), header.kidContext);
  if (header.kid !== undefined) parts.push(header.kid);
  return Buffer.concat(parts);
}

/** undefined: malformed (reserved bits, lengths past the end, trailing bytes without k). */
export function decodeOscoreOption(value: Buffer): OscoreHeader | undefined {
  if (value.length === 0) return { partialIv: undefined, kid: undefined, kidContext: undefined };
  const flags = value[0]!;
  if ((flags & 0xe0) !== 0) return undefined;
  const n = flags & 0x07;
  if (n > 5) return undefined;
  let offset = 1;
  if (offset + n > value.length) return undefined;
  const partialIv = n > 0 ? value.subarray(offset, offset + n) : undefined;
  offset += n;
  let kidContext: Buffer | undefined;
  if ((flags & 0x10) !== 0) {
    if (offset >= value.length) return undefined;
    const s = value[offset]!;
    offset += 1;
    if (offset + s > value.length) return undefined;
    kidContext = value.subarray(offset, offset + s);
    offset += s;
  }
  let kid: Buffer | undefined;
  if ((flags & 0x08) !== 0) kid = value.subarray(offset);
  else if (offset !== value.length) return undefined;
  return { partialIv, kid, kidContext };
}
