import { createHash, randomBytes } from 'node:crypto';

/** Random identifiers and bearer secrets, and the hash under which tokens are stored. */

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Unbiased random string over `alphabet` (rejection sampling). */
export function randomString(length: number, alphabet: string): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Ten upper-case letters, like Synapse's device IDs. */
export const newDeviceId = (): string => randomString(10, UPPER);

/** Localparts for users who register without choosing a username. */
export const newLocalpart = (): string => 'u' + randomString(11, LOWER_ALNUM);

/** 256-bit bearer secrets; the prefix tells a leaked token's kind at a glance. */
export const newAccessToken = (): string => 'lat_' + randomBytes(32).toString('base64url');
export const newRefreshToken = (): string => 'latr_' + randomBytes(32).toString('base64url');
export const newSessionId = (): string => randomBytes(18).toString('base64url');

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
