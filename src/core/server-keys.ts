import { decodeBase64 } from './base64.js';
import { ProtocolError } from './errors.js';
import { isJsonObject, type JsonObject } from './json.js';
import { verifyJsonSignature } from './signing.js';

/**
 * Server key responses (`GET /_matrix/key/v2/server`, and the same objects inside notary
 * answers): checking one that arrived from the network and turning it into key records with the
 * validity the spec allows. Pure: the caller passes the time it received the response.
 */

/** Spec: "Servers MUST use the lesser of [valid_until_ts] and 7 days into the future". */
export const MAX_KEY_VALIDITY_MS = 7 * 24 * 60 * 60 * 1000;

const KEY_ID = /^ed25519:[A-Za-z0-9_]+$/;

export interface ServerKeyRecord {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  /**
   * The latest origin_server_ts this key may vouch for (room v5+ rules): the response's
   * valid_until_ts capped at receipt + 7 days for current keys, expired_ts for old ones.
   */
  readonly validUntilTs: number;
  /** Listed under old_verify_keys. */
  readonly expired: boolean;
}

export interface CheckedKeyResponse {
  readonly serverName: string;
  /** valid_until_ts as published, uncapped (notaries pass the response on unchanged). */
  readonly publishedValidUntilTs: number;
  readonly keys: readonly ServerKeyRecord[];
  /** The response with only the origin's own signatures left (what a notary re-signs). */
  readonly originSigned: JsonObject;
}

export class ServerKeyResponseError extends ProtocolError {
  override name = 'ServerKeyResponseError';
}

function decodeKey(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string') throw new ServerKeyResponseError(`${where}: key is not a string`);
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(value);
  } catch {
    throw new ServerKeyResponseError(`${where}: key is not base64`);
  }
  if (bytes.length !== 32) throw new ServerKeyResponseError(`${where}: ed25519 key must be 32 bytes`);
  return bytes;
}

function timestamp(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ServerKeyResponseError(`${where} is not a timestamp`);
  return value;
}

/**
 * Validates a key response for `expectedServer`: the server name matches, the keys decode, and
 * the response is signed by the server with at least one of its current keys, every such
 * signature verifying. Keys with algorithms other than ed25519 are skipped (we cannot use them).
 */
export function checkServerKeyResponse(response: unknown, expectedServer: string, receivedTs: number): CheckedKeyResponse {
  if (!isJsonObject(response)) throw new ServerKeyResponseError('key response is not an object');
  if (response['server_name'] !== expectedServer) {
    throw new ServerKeyResponseError(`key response is for ${JSON.stringify(response['server_name'])}, expected ${expectedServer}`);
  }
  const publishedValidUntilTs = timestamp(response['valid_until_ts'], 'valid_until_ts');
  const verifyKeys = response['verify_keys'];
  if (!isJsonObject(verifyKeys)) throw new ServerKeyResponseError('verify_keys is not an object');
  const oldVerifyKeys = response['old_verify_keys'] ?? {};
  if (!isJsonObject(oldVerifyKeys)) throw new ServerKeyResponseError('old_verify_keys is not an object');

  const currentValidUntil = Math.min(publishedValidUntilTs, receivedTs + MAX_KEY_VALIDITY_MS);
  const keys: ServerKeyRecord[] = [];
  const current = new Map<string, Uint8Array>();
  for (const [keyId, entry] of Object.entries(verifyKeys)) {
    if (!KEY_ID.test(keyId)) continue;
    if (!isJsonObject(entry)) throw new ServerKeyResponseError(`verify_keys.${keyId} is not an object`);
    const publicKey = decodeKey(entry['key'], `verify_keys.${keyId}`);
    current.set(keyId, publicKey);
    keys.push({ keyId, publicKey, validUntilTs: currentValidUntil, expired: false });
  }
  for (const [keyId, entry] of Object.entries(oldVerifyKeys)) {
    if (!KEY_ID.test(keyId) || current.has(keyId)) continue;
    if (!isJsonObject(entry)) throw new ServerKeyResponseError(`old_verify_keys.${keyId} is not an object`);
    const publicKey = decodeKey(entry['key'], `old_verify_keys.${keyId}`);
    const expiredTs = timestamp(entry['expired_ts'], `old_verify_keys.${keyId}.expired_ts`);
    // An old key never vouches for more than a current one could.
    keys.push({ keyId, publicKey, validUntilTs: Math.min(expiredTs, currentValidUntil), expired: true });
  }

  const signatures = response['signatures'];
  const own = isJsonObject(signatures) && Object.hasOwn(signatures, expectedServer) ? signatures[expectedServer] : undefined;
  if (!isJsonObject(own)) throw new ServerKeyResponseError(`key response is not signed by ${expectedServer}`);
  let verified = 0;
  for (const keyId of Object.keys(own)) {
    const publicKey = current.get(keyId);
    // Signatures by keys the response does not list cannot be checked; they do not count.
    if (!publicKey) continue;
    if (!verifyJsonSignature(response, expectedServer, keyId, publicKey)) {
      throw new ServerKeyResponseError(`key response signature by ${keyId} does not verify`);
    }
    verified++;
  }
  if (verified === 0) throw new ServerKeyResponseError(`key response is not signed by any of ${expectedServer}'s keys`);

  const originSigned: JsonObject = { ...response, signatures: { [expectedServer]: own } };
  return { serverName: expectedServer, publishedValidUntilTs, keys, originSigned };
}
