import { createHash } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64.js';
import { canonicalJson } from './canonical-json.js';
import { redactForSigning, type EventJson } from './events/redaction.js';
import { isJsonObject } from './json.js';
import type { RoomVersion } from './room-versions.js';

/**
 * The two event hashes of server-server-api.md "Signing Events":
 * - the content hash covers the whole unredacted event (minus unsigned, signatures, hashes), so a
 *   receiver can tell when it was handed a redacted or tampered copy;
 * - the reference hash covers the redacted event (minus signatures, unsigned); it is the event
 *   ID in room v3+ and the `sha256` of v1/v2 reference pairs.
 * Canonical JSON strictness follows the room version (v1-v5 tolerate floats and big integers).
 */

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function canonicalOptions(version: RoomVersion) {
  return { strict: version.strictCanonicalJson };
}

/** Canonical JSON the content hash is computed over. */
export function contentHashInput(pdu: EventJson, version: RoomVersion): string {
  const { unsigned: _unsigned, signatures: _signatures, hashes: _hashes, ...rest } = pdu;
  return canonicalJson(rest, canonicalOptions(version));
}

export function computeContentHash(pdu: EventJson, version: RoomVersion): Uint8Array {
  return sha256(contentHashInput(pdu, version));
}

/** Copy of the PDU with `hashes` set to `{sha256: <content hash>}` (replacing any old hashes). */
export function addContentHash<T extends EventJson>(pdu: T, version: RoomVersion): T & { hashes: { sha256: string } } {
  return { ...pdu, hashes: { sha256: encodeBase64(computeContentHash(pdu, version)) } };
}

/**
 * Whether `hashes.sha256` equals the content hash. Compares decoded bytes, as the spec says, so
 * padding or non-zero trailing bits in the sender's base64 do not matter. Never throws: a
 * missing, garbled or uncomputable hash is simply a mismatch (the caller then redacts).
 */
export function contentHashMatches(pdu: EventJson, version: RoomVersion): boolean {
  const hashes = pdu.hashes;
  if (!isJsonObject(hashes) || !Object.hasOwn(hashes, 'sha256')) return false;
  const claimed = hashes.sha256;
  if (typeof claimed !== 'string') return false;
  let claimedBytes: Uint8Array;
  let actual: Buffer;
  try {
    claimedBytes = decodeBase64(claimed);
    actual = sha256(contentHashInput(pdu, version));
  } catch {
    return false;
  }
  return actual.equals(claimedBytes);
}

/**
 * Canonical JSON of the redacted event without signatures and unsigned: both what the origin
 * server signs and what the reference hash is computed over. Exposed so a caller needing both
 * (verify, then compute the event ID) can serialise once.
 */
export function redactedSigningJson(pdu: EventJson, version: RoomVersion): string {
  // redactForSigning already drops `signatures`; `unsigned` is never a protected key.
  return canonicalJson(redactForSigning(pdu, version), canonicalOptions(version));
}

export function referenceHashOfSigningJson(signingJson: string): Uint8Array {
  return sha256(signingJson);
}

export function computeReferenceHash(pdu: EventJson, version: RoomVersion): Uint8Array {
  return sha256(redactedSigningJson(pdu, version));
}
