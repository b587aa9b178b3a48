/**
 * The one AEAD this implementation speaks: AES-CCM-16-64-128 (COSE algorithm 10), the OSCORE
 * mandatory-to-implement default (RFC 8613 §3.2, RFC 8152 §10.2): 128-bit key, 13-byte nonce,
 * 8-byte tag. node:crypto's `aes-128-ccm` does the work.
 */

import { createCipheriv, createDecipheriv } from 'node:crypto';

export const AEAD_ALG_AES_CCM_16_64_128 = 10;
export const KEY_LENGTH = 16;
export const NONCE_LENGTH = 13;
export const TAG_LENGTH = 8;

/** ciphertext ‖ tag. */
export function aeadEncrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([body, cipher.getAuthTag()]);
}

/** The plaintext, or undefined when the tag does not verify (tampered, wrong key or nonce). */
export function aeadDecrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer | undefined {
  if (sealed.length < TAG_LENGTH) return undefined;
  const body = sealed.subarray(0, sealed.length - TAG_LENGTH);
  const tag = sealed.subarray(sealed.length - TAG_LENGTH);
  try {
    const decipher = createDecipheriv('aes-128-ccm', key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(tag);
    decipher.setAAD(aad, { plaintextLength: body.length });
    const plaintext = decipher.update(body);
    decipher.final(); // CCM verifies here; throws on a bad tag
    return plaintext;
  } catch {
    return undefined;
  }
}
