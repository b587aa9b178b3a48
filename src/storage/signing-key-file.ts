import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatSigningKeyFile, parseSigningKeyFile, signingKeyFromSeed, type SigningKey } from '../core/signing.js';

/**
 * The server's ed25519 signing key, in Synapse's key file format (`ed25519 <version> <seed>`), so
 * a key can move between Synapse and Lattice. Created with a fresh random seed on first start.
 */
export function loadOrCreateSigningKey(file: string): { key: SigningKey; created: boolean } {
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) {
    const keys = parseSigningKeyFile(text);
    if (keys.length === 0) throw new Error(`signing key file ${file} holds no key`);
    return { key: keys[0]!, created: false };
  }
  // Synapse names new keys a_XXXX; any [A-Za-z0-9_] version is valid.
  const version = 'a_' + randomBytes(3).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x');
  const key = signingKeyFromSeed(randomBytes(32), `ed25519:${version}`);
  mkdirSync(path.dirname(file), { recursive: true });
  // 'wx': never overwrite a key another process created meanwhile; 0600: it is a secret.
  writeFileSync(file, formatSigningKeyFile([key]), { mode: 0o600, flag: 'wx' });
  return { key, created: true };
}
