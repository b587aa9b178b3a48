import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64.js';
import { canonicalJson, type CanonicalJsonOptions } from './canonical-json.js';
import { ProtocolError } from './errors.js';
import { isJsonObject, type JsonObject } from './json.js';

/**
 * Ed25519 signing of JSON objects (spec appendix "Signing JSON"), on node:crypto. The caller
 * supplies seeds: the core has no randomness of its own.
 */

export interface SigningKey {
  /** Signing key identifier, e.g. `ed25519:abc`. */
  readonly keyId: string;
  /** The 32-byte ed25519 seed (what Synapse's key file stores). */
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  /** Unpadded standard base64 of publicKey, as published in /_matrix/key/v2/server. */
  readonly publicKeyBase64: string;
}

export class SigningKeyError extends ProtocolError {
  override name = 'SigningKeyError';
}

export class SigningKeyFileError extends SigningKeyError {
  override name = 'SigningKeyFileError';
  constructor(
    message: string,
    /** 1-based line number in the key file. */
    readonly line: number,
  ) {
    super(`signing key file line ${line}: ${message}`);
  }
}

// DER wrappers that turn raw 32-byte ed25519 keys into the PKCS#8 / SPKI structures node:crypto
// imports (RFC 8410). Fixed prefixes: the only variable part is the key itself.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Key versions (the part after `ed25519:`) as the server-keys API restricts them. */
const KEY_VERSION = /^[A-Za-z0-9_]+$/;

/**
 * Private KeyObjects live beside the plain-data SigningKey rather than in it, so keys stay
 * printable/comparable; a SigningKey built elsewhere (e.g. by spreading) falls back to the seed.
 */
const privateKeys = new WeakMap<SigningKey, KeyObject>();

function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

function privateKeyOf(key: SigningKey): KeyObject {
  let keyObject = privateKeys.get(key);
  if (!keyObject) {
    keyObject = privateKeyFromSeed(key.seed);
    privateKeys.set(key, keyObject);
  }
  return keyObject;
}

export function signingKeyFromSeed(seed: Uint8Array, keyId: string): SigningKey {
  if (seed.length !== 32) throw new SigningKeyError(`ed25519 seed must be 32 bytes, got ${seed.length}`);
  parseKeyId(keyId);
  const privateKey = privateKeyFromSeed(seed);
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
  const key: SigningKey = Object.freeze({
    keyId,
    seed: new Uint8Array(seed),
    publicKey,
    publicKeyBase64: encodeBase64(publicKey),
  });
  privateKeys.set(key, privateKey);
  return key;
}

/** Splits `ed25519:version`; throws SigningKeyError for other algorithms or bad versions. */
function parseKeyId(keyId: string): string {
  const colon = keyId.indexOf(':');
  const algorithm = colon < 0 ? keyId : keyId.slice(0, colon);
  const version = colon < 0 ? '' : keyId.slice(colon + 1);
  if (algorithm !== 'ed25519') throw new SigningKeyError(`unsupported signing algorithm in key id ${JSON.stringify(keyId)}`);
  if (!KEY_VERSION.test(version)) throw new SigningKeyError(`bad key version in key id ${JSON.stringify(keyId)}`);
  return version;
}

/** Raw ed25519 signature over bytes. */
export function signBytes(key: SigningKey, message: Uint8Array): Uint8Array {
  return sign(null, message, privateKeyOf(key));
}

// Verification is the federation hot path: importing an SPKI key costs about as much as a
// verify, so imported keys are cached by their bytes. Keyed by content, not by array identity,
// so a caller reusing a buffer for a different key can never hit a stale entry.
const PUBLIC_KEY_CACHE_LIMIT = 4096;
const publicKeyCache = new Map<string, KeyObject>();

function publicKeyObject(publicKey: Uint8Array): KeyObject | undefined {
  if (publicKey.length !== 32) return undefined;
  const cacheKey = Buffer.from(publicKey.buffer, publicKey.byteOffset, 32).toString('latin1');
  let keyObject = publicKeyCache.get(cacheKey);
  if (keyObject) return keyObject;
  try {
    keyObject = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    });
  } catch {
    return undefined;
  }
  // Insertion-ordered Map: dropping the first entry evicts the oldest import. Plain FIFO is
  // enough; the working set (servers in our rooms) is far below the limit in practice.
  if (publicKeyCache.size >= PUBLIC_KEY_CACHE_LIMIT) {
    const oldest = publicKeyCache.keys().next().value;
    if (oldest !== undefined) publicKeyCache.delete(oldest);
  }
  publicKeyCache.set(cacheKey, keyObject);
  return keyObject;
}

/** Raw ed25519 verification; false (never a throw) for a malformed key or signature. */
export function verifyBytes(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  const keyObject = publicKeyObject(publicKey);
  if (!keyObject) return false;
  try {
    return verify(null, message, keyObject, signature);
  } catch {
    return false;
  }
}

/** Decodes a base64 signature string, or undefined if it is not one. */
export function decodeSignature(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string' || value.length < 86 || value.length > 88) return undefined;
  try {
    const bytes = decodeBase64(value);
    return bytes.length === 64 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** Canonical JSON of `object` without `signatures` and `unsigned`: the bytes a signature covers. */
export function signableJson(object: { readonly [key: string]: unknown }, options?: CanonicalJsonOptions): string {
  // A shallow copy without the two members is cheaper than teaching the serializer to skip keys,
  // and keeps canonical-json.ts the single serializer.
  const { signatures: _signatures, unsigned: _unsigned, ...rest } = object;
  return canonicalJson(rest, options);
}

/**
 * Returns a copy of `object` with `signatures[entity][key.keyId]` added; other signatures are
 * kept. Throws CanonicalJsonError if the object is not canonical-JSON-able.
 */
export function signJson<T extends JsonObject>(
  object: T,
  entity: string,
  key: SigningKey,
  options?: CanonicalJsonOptions,
): T & { signatures: JsonObject } {
  const signature = encodeBase64(signBytes(key, Buffer.from(signableJson(object, options), 'utf8')));
  return withSignature(object, entity, key.keyId, signature);
}

/**
 * Copy of `object` with one signature added. Object literals with computed keys define own
 * properties, so an entity or key ID of `__proto__` cannot reach the prototype.
 */
export function withSignature<T extends { readonly [key: string]: unknown }>(
  object: T,
  entity: string,
  keyId: string,
  signature: string,
): T & { signatures: JsonObject } {
  const existing: JsonObject = isJsonObject(object.signatures) ? object.signatures : {};
  const entitySignatures = Object.hasOwn(existing, entity) && isJsonObject(existing[entity]) ? existing[entity] : {};
  return {
    ...object,
    signatures: { ...existing, [entity]: { ...entitySignatures, [keyId]: signature } },
  };
}

/**
 * Checks `signatures[entity][keyId]` against `publicKey`. False, never a throw, for a missing or
 * garbled signature, a bad key, or an object that cannot be canonicalised.
 */
export function verifyJsonSignature(
  object: JsonObject,
  entity: string,
  keyId: string,
  publicKey: Uint8Array,
  options?: CanonicalJsonOptions,
): boolean {
  const signatures = object.signatures;
  if (!isJsonObject(signatures) || !Object.hasOwn(signatures, entity)) return false;
  const entitySignatures = signatures[entity]!;
  if (!isJsonObject(entitySignatures) || !Object.hasOwn(entitySignatures, keyId)) return false;
  const signature = decodeSignature(entitySignatures[keyId]);
  if (!signature) return false;
  let message: string;
  try {
    message = signableJson(object, options);
  } catch {
    return false;
  }
  return verifyBytes(publicKey, Buffer.from(message, 'utf8'), signature);
}

/**
 * Synapse's signing-key file: one key per line, `ed25519 <version> <unpadded base64 seed>`.
 * Blank lines are skipped; anything else malformed is an error naming its line.
 */
export function parseSigningKeyFile(text: string): SigningKey[] {
  const keys: SigningKey[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const parts = line.split(/\s+/);
    if (parts.length !== 3) throw new SigningKeyFileError('expected "ed25519 <version> <base64 seed>"', i + 1);
    const [algorithm, version, seedBase64] = parts as [string, string, string];
    if (algorithm !== 'ed25519') throw new SigningKeyFileError(`unsupported algorithm ${JSON.stringify(algorithm)}`, i + 1);
    if (!KEY_VERSION.test(version)) throw new SigningKeyFileError(`bad key version ${JSON.stringify(version)}`, i + 1);
    let seed: Uint8Array;
    try {
      seed = decodeBase64(seedBase64);
    } catch {
      throw new SigningKeyFileError('seed is not base64', i + 1);
    }
    if (seed.length !== 32) throw new SigningKeyFileError(`seed must be 32 bytes, got ${seed.length}`, i + 1);
    const keyId = `ed25519:${version}`;
    if (keys.some((k) => k.keyId === keyId)) throw new SigningKeyFileError(`duplicate key ${keyId}`, i + 1);
    keys.push(signingKeyFromSeed(seed, keyId));
  }
  return keys;
}

export function formatSigningKeyFile(keys: readonly SigningKey[]): string {
  return keys.map((key) => `ed25519 ${parseKeyId(key.keyId)} ${encodeBase64(key.seed)}\n`).join('');
}
