import { ProtocolError } from './errors.js';

/**
 * Unpadded base64 as the Matrix spec's appendix defines it. Decoding is lenient, as Node's
 * Buffer is: padding is optional, either alphabet is accepted, and non-zero trailing bits are
 * ignored (the spec's own signing-key seed has them).
 */

const VALID = /^[A-Za-z0-9+/\-_]*={0,2}$/;

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export class Base64Error extends ProtocolError {
  override name = 'Base64Error';
}

/** Decodes standard or URL-safe base64, padded or not. Throws Base64Error on anything else. */
export function decodeBase64(text: string): Uint8Array {
  if (!VALID.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new Base64Error('not valid unpadded base64');
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}
