/**
 * RFC 7959 §2.2 Block1/Block2 option values: NUM (block number), M (more), SZX (size exponent,
 * block size = 2^(SZX+4)). Encoded as a uint of 0..3 bytes: NUM << 4 | M << 3 | SZX.
 */

import { encodeUint } from './options.js';

export interface BlockValue {
  readonly num: number;
  readonly more: boolean;
  readonly szx: number;
}

/** NUM is at most 20 bits (3-byte option). */
const MAX_NUM = 0xf_ffff;

export function blockSize(szx: number): number {
  return 1 << (szx + 4);
}

export function encodeBlock(block: BlockValue): Buffer {
  if (block.num < 0 || block.num > MAX_NUM || block.szx < 0 || block.szx > 7) {
    throw new RangeError(`bad block value ${JSON.stringify(block)}`);
  }
  return encodeUint(block.num * 16 + (block.more ? 8 : 0) + block.szx);
}

/** Undefined when the value is longer than 3 bytes (RFC 7959: such an option is unrecognized). */
export function decodeBlock(value: Buffer): BlockValue | undefined {
  if (value.length > 3) return undefined;
  let raw = 0;
  for (const byte of value) raw = raw * 256 + byte;
  return { num: raw >>> 4, more: (raw & 8) !== 0, szx: raw & 7 };
}
