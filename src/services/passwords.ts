import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with node:crypto's scrypt (memory-hard, no native dependency). Hashes are PHC
 * strings carrying their parameters, so the cost can be raised later without breaking old ones:
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64, unpadded).
 * ln=15 costs about 60 ms and 32 MiB per hash here, on libuv's thread pool, not the event loop.
 */

const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const optionsFor = (ln: number, r: number, p: number): ScryptOptions => ({
  N: 2 ** ln,
  r,
  p,
  // Node refuses more than 32 MiB by default; scrypt needs 128 * N * r bytes plus slack.
  maxmem: 256 * 2 ** ln * r + 1024 * 1024,
});

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, optionsFor(LOG_N, R, P));
  return `$scrypt$ln=${LOG_N},r=${R},p=${P}$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = PHC.exec(stored);
  if (!m) return false;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ln > 20 || r > 16 || p > 4) return false; // refuse absurd costs from a tampered row
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await scrypt(password, Buffer.from(m[4]!, 'base64'), optionsFor(ln, r, p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * Spends the same time as a real check when the user does not exist, so login timing does not
 * reveal which user IDs are registered.
 */
export async function verifyAgainstNothing(password: string): Promise<false> {
  await scrypt(password, Buffer.alloc(16), optionsFor(LOG_N, R, P));
  return false;
}
