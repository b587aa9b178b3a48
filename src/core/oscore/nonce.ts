/**
 * RFC 8613 §5.2 AEAD nonce and the Partial IV.
 *
 * The nonce is (size of ID ‖ ID left-padded to nonce length − 6 bytes ‖ Partial IV left-padded to
 * 5 bytes) XOR Common IV, where ID and Partial IV belong to whoever *generated* the Partial IV
 * (the request's sender, unless a response carries its own Partial IV).
 *
 * The Partial IV is the sender sequence number in as few bytes as possible, 0 being one zero
 * byte, at most 5 bytes (§6.1): sequence numbers run to 2^40 − 1.
 */

import { NONCE_LENGTH } from './algorithm.js';

export const MAX_SEQUENCE_NUMBER = 2 ** 40 - 1;
const PIV_FIELD = 5;
const ID_FIELD = NONCE_LENGTH - 6;

export function encodePartialIv(sequenceNumber: number): Buffer {
  if (!Number.isSafeInteger(sequenceNumber) || sequenceNumber < 0 || sequenceNumber > MAX_SEQUENCE_NUMBER) {
    throw new RangeError(`OSCORE sequence number out of range: ${sequenceNumber}`);
  }
  const bytes: number[] = [];
  for (let v = sequenceNumber; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from(bytes.length === 0 ? [0] : bytes);
}

export function decodePartialIv(piv: Uint8Array): number {
  let value = 0;
  for (const byte of piv) value = value * 256 + byte;
  return value;
}

export function buildNonce(id: Uint8Array, partialIv: Uint8Array, commonIv: Uint8Array): Buffer {
  if (id.length > ID_FIELD) throw new RangeError(`OSCORE ID longer than ${ID_FIELD} bytes`);
  if (partialIv.length > PIV_FIELD) throw new RangeError(`Partial IV longer than ${PIV_FIELD} bytes`);
  const nonce = Buffer.alloc(NONCE_LENGTH);
  nonce[0] = id.length;
  nonce.set(id, 1 + ID_FIELD - id.length);
  nonce.set(partialIv, NONCE_LENGTH - partialIv.length);
  for (let i = 0; i < NONCE_LENGTH; i++) nonce[i] = nonce[i]! ^ commonIv[i]!;
  return nonce;
}
