import { decodeBase64 } from '../../core/base64.js';
import { canonicalJson } from '../../core/canonical-json.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../core/json.js';
import { signableJson, verifyJsonSignature } from '../../core/signing.js';
import type { CrossSigningKeyType, StoredSignature } from '../../storage/cross-signing-repo.js';
import { badJson, invalidParam, MatrixError } from '../errors.js';

/**
 * The key objects of end-to-end encryption as they arrive (from clients and other servers):
 * checked for shape and size, turned into the canonical JSON we store, and read back with the
 * signatures uploaded separately merged in. Nothing here touches storage.
 */

/** Not in errors.ts's table: only cross-signing uses it. */
export const INVALID_SIGNATURE = 'M_INVALID_SIGNATURE';
export const invalidSignature = (message: string): MatrixError => new MatrixError(400, INVALID_SIGNATURE, message);

/** Canonical JSON size limits: generous for real keys (a few hundred bytes), small enough to bound storage. */
export const MAX_DEVICE_KEYS_BYTES = 16 * 1024;
export const MAX_ONE_TIME_KEY_BYTES = 4 * 1024;
export const MAX_CROSS_SIGNING_KEY_BYTES = 16 * 1024;
const MAX_ID_LENGTH = 255;

export interface ParsedKey {
  readonly algorithm: string;
  readonly keyId: string;
  readonly json: string;
}

export interface CrossSigningKey {
  readonly type: CrossSigningKeyType;
  readonly publicKey: string;
  /** `ed25519:<publicKey>`. */
  readonly keyId: string;
  readonly value: JsonObject;
  readonly json: string;
}

/** `<algorithm>:<key id>`, both non-empty, exactly one colon (as Synapse requires). */
export function splitKeyName(name: string): { algorithm: string; keyId: string } | undefined {
  const parts = name.split(':');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '' || name.length > MAX_ID_LENGTH) return undefined;
  return { algorithm: parts[0]!, keyId: parts[1]! };
}

function canonicalWithin(value: JsonValue, maxBytes: number, what: string): string {
  let json: string;
  try {
    json = canonicalJson(value);
  } catch {
    throw badJson(`${what} is not valid canonical JSON (floats or out-of-range integers)`);
  }
  if (Buffer.byteLength(json) > maxBytes) throw invalidParam(`${what} is larger than ${maxBytes} bytes`);
  return json;
}

function isStringMap(value: JsonValue | undefined): value is JsonObject {
  return isJsonObject(value) && Object.values(value).every((v) => typeof v === 'string');
}

function isSignatures(value: JsonValue | undefined): value is JsonObject {
  return isJsonObject(value) && Object.values(value).every(isStringMap);
}

/**
 * `device_keys` of /keys/upload: must name the requester's user and device (M_BAD_JSON
 * otherwise, as Synapse answers); returns the canonical JSON to store.
 */
export function checkDeviceKeys(value: JsonObject, userId: string, deviceId: string): string {
  if (value['user_id'] !== userId) throw badJson("'device_keys.user_id' does not match the authenticated user");
  if (value['device_id'] !== deviceId) throw badJson("'device_keys.device_id' does not match the authenticated device");
  const algorithms = value['algorithms'];
  if (!Array.isArray(algorithms) || !algorithms.every((a) => typeof a === 'string')) throw badJson("'device_keys.algorithms' must be an array of strings");
  if (!isStringMap(value['keys'])) throw badJson("'device_keys.keys' must map key IDs to strings");
  if (!isSignatures(value['signatures'])) throw badJson("'device_keys.signatures' must map user IDs to maps of signatures");
  // `unsigned` is what servers add on the way out (the display name), never part of the keys.
  const { unsigned: _unsigned, ...keys } = value;
  return canonicalWithin(keys, MAX_DEVICE_KEYS_BYTES, "'device_keys'");
}

/** Device keys as another server sent them: undefined unless they name this user and device. */
export function remoteDeviceKeys(value: JsonValue | undefined, userId: string, deviceId: string): string | undefined {
  if (!isJsonObject(value)) return undefined;
  try {
    return checkDeviceKeys(value, userId, deviceId);
  } catch {
    return undefined;
  }
}

/**
 * `one_time_keys` or `fallback_keys`: `{"<algorithm>:<key id>": "<key>" | {key, signatures, ...}}`.
 * Fallback keys allow one key per algorithm.
 */
export function parseKeyMap(map: JsonObject, field: 'one_time_keys' | 'fallback_keys'): ParsedKey[] {
  const keys: ParsedKey[] = [];
  const algorithms = new Set<string>();
  for (const [name, value] of Object.entries(map)) {
    const split = splitKeyName(name);
    if (!split) throw badJson(`'${field}' key ${JSON.stringify(name.slice(0, 64))} is not "<algorithm>:<key id>"`);
    const valid =
      typeof value === 'string' || (isJsonObject(value) && typeof value['key'] === 'string' && isSignatures(value['signatures']));
    if (!valid) throw badJson(`'${field}.${name}' must be a string or an object with 'key' and 'signatures'`);
    if (field === 'fallback_keys') {
      if (algorithms.has(split.algorithm)) throw invalidParam(`'fallback_keys' has more than one ${split.algorithm} key`);
      algorithms.add(split.algorithm);
    }
    keys.push({ ...split, json: canonicalWithin(value, MAX_ONE_TIME_KEY_BYTES, `'${field}.${name}'`) });
  }
  return keys;
}

/** Two uploads of one one-time key are the same key when they differ at most in signatures (as Synapse decides). */
export function sameOneTimeKey(storedJson: string, uploadedJson: string): boolean {
  const stored = JSON.parse(storedJson) as JsonValue;
  const uploaded = JSON.parse(uploadedJson) as JsonValue;
  if (!isJsonObject(stored) || !isJsonObject(uploaded)) return storedJson === uploadedJson;
  return signableJson(stored) === signableJson(uploaded);
}

/**
 * A cross-signing key: `{user_id, usage: [...type], keys: {"ed25519:<pk>": "<pk>"}, signatures?}`
 * (M_INVALID_PARAM otherwise, as Synapse answers).
 */
export function checkCrossSigningKey(value: JsonValue | undefined, userId: string, type: CrossSigningKeyType): CrossSigningKey {
  const invalid = invalidParam(`Invalid ${type} key`);
  if (!isJsonObject(value) || value['user_id'] !== userId) throw invalid;
  const usage = value['usage'];
  if (!Array.isArray(usage) || !usage.includes(type)) throw invalid;
  const keys = value['keys'];
  if (!isJsonObject(keys)) throw invalid;
  const entries = Object.entries(keys);
  if (entries.length !== 1) throw invalid;
  const [keyId, publicKey] = entries[0]!;
  if (typeof publicKey !== 'string' || keyId !== `ed25519:${publicKey}` || publicKeyBytes(publicKey) === undefined) throw invalid;
  if (value['signatures'] !== undefined && !isSignatures(value['signatures'])) throw invalid;
  return { type, publicKey, keyId, value, json: canonicalWithin(value, MAX_CROSS_SIGNING_KEY_BYTES, `the ${type} key`) };
}

/** A cross-signing key another server sent: undefined unless well-formed and the user's. */
export function remoteCrossSigningKey(value: JsonValue | undefined, userId: string, type: 'master' | 'self_signing'): CrossSigningKey | undefined {
  try {
    return checkCrossSigningKey(value, userId, type);
  } catch {
    return undefined;
  }
}

/** An ed25519 public key in unpadded base64 (32 bytes), or undefined. */
export function publicKeyBytes(base64: string): Uint8Array | undefined {
  try {
    const bytes = decodeBase64(base64);
    return bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `object` carries a valid signature by `signer` under `keyId` with the ed25519 key `publicKey`
 * (cross-signing keys are named after their public key, device keys after the device).
 */
export function signedBy(object: JsonObject, signer: string, keyId: string, publicKey: string): boolean {
  const bytes = publicKeyBytes(publicKey);
  return bytes !== undefined && verifyJsonSignature(object, signer, keyId, bytes);
}

/** The stored object (JSON text) with the given signatures added to its own. */
export function withSignatures(json: string, signatures: readonly StoredSignature[]): JsonObject {
  const object = JSON.parse(json) as JsonObject;
  if (signatures.length === 0) return object;
  const merged: JsonObject = isJsonObject(object['signatures']) ? { ...object['signatures'] } : {};
  for (const s of signatures) {
    const existing = merged[s.signerUserId];
    merged[s.signerUserId] = { ...(isJsonObject(existing) ? existing : {}), [s.signerKeyId]: s.signature };
  }
  return { ...object, signatures: merged };
}
