import { encodeBase64 } from '../../../core/base64.js';
import { computeEventId } from '../../../core/events/event-id.js';
import { toRoomEvent, validatePdu, type Pdu } from '../../../core/events/pdu.js';
import type { EventJson } from '../../../core/events/redaction.js';
import { redactEvent } from '../../../core/events/redaction.js';
import { redactedSigningJson } from '../../../core/hashes.js';
import { isJsonObject } from '../../../core/json.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { signBytes, verifyJsonSignature, withSignature, type SigningKey } from '../../../core/signing.js';
import { PduDroppedError, type IncomingPdu } from '../inbound/incoming-pdu.js';
import type { PduVerifier } from '../inbound/verify-pdu.js';
import type { KeyRing } from '../keys.js';

/**
 * The first checks on receipt of a PDU ("Checks performed on receipt of a PDU", 1-3): format,
 * signatures, content hash, for what the membership handshakes receive in bulk (send_join's
 * state and auth chain, invite_room_state, knock_room_state) or one at a time (send_join, leave,
 * knock, invite). The signature and hash checks are the inbound pipeline's (PduVerifier), run
 * over the whole batch at once so the key ring fetches each server's keys once. The auth checks
 * come after, from the persister.
 */

/**
 * A PDU that passed: format-checked, signatures verified; `redactedForHash` when the content hash
 * did not match and `pdu` is the redacted copy (spec: "redact, then continue").
 */
export type CheckedPdu = IncomingPdu;

export interface CheckFailure {
  readonly json: unknown;
  readonly reason: string;
}

export interface CheckOptions {
  /**
   * What to do with a content-hash mismatch: redact and keep (events from others, e.g. a room's
   * state) or refuse (an event the sender asks us to accept or sign as it is).
   */
  readonly onHashMismatch: 'redact' | 'reject';
}

export async function checkPdus(
  verifier: PduVerifier,
  version: RoomVersion,
  jsons: readonly unknown[],
  options: CheckOptions,
): Promise<{ checked: CheckedPdu[]; failed: CheckFailure[] }> {
  const failed: CheckFailure[] = [];
  const parsed: IncomingPdu[] = [];
  for (const json of jsons) {
    try {
      parsed.push(incoming(json, version));
    } catch (err) {
      failed.push({ json, reason: err instanceof Error ? err.message : 'invalid PDU' });
    }
  }
  const results = await Promise.all(
    parsed.map(async (p) => {
      try {
        return await verifier.verify(p);
      } catch (err) {
        if (err instanceof PduDroppedError) return err;
        throw err;
      }
    }),
  );
  const checked: CheckedPdu[] = [];
  results.forEach((result, i) => {
    if (result instanceof PduDroppedError) failed.push({ json: parsed[i]!.pdu, reason: result.message });
    else if (result.redactedForHash && options.onHashMismatch === 'reject') failed.push({ json: parsed[i]!.pdu, reason: 'content hash does not match' });
    else checked.push(result);
  });
  return { checked, failed };
}

/**
 * A PDU as the inbound pipeline's verifier takes it: format-checked, `unsigned` dropped (nobody
 * signed it, so a sender could put anything there), its ID worked out.
 */
function incoming(json: unknown, version: RoomVersion): IncomingPdu {
  let pdu = validatePdu(json, version);
  if (Object.hasOwn(pdu, 'unsigned')) {
    const { unsigned: _dropped, ...rest } = pdu;
    pdu = rest as Pdu;
  }
  const eventId = computeEventId(pdu, version);
  const event = toRoomEvent(pdu, version, eventId);
  return { pdu, event, version, eventId, roomId: event.room_id, verified: false, redactedForHash: false };
}

/** One PDU that must pass every check (nothing redacted); throws the reason otherwise. */
export async function checkOnePdu(verifier: PduVerifier, version: RoomVersion, json: unknown): Promise<CheckedPdu> {
  const { checked, failed } = await checkPdus(verifier, version, [json], { onHashMismatch: 'reject' });
  if (checked[0]) return checked[0];
  throw new PduCheckError(failed[0]?.reason ?? 'invalid PDU');
}

export class PduCheckError extends Error {
  override name = 'PduCheckError';
}

/** Whether `server` has a valid signature on the event (e.g. the invitee's countersignature). */
export async function hasServerSignature(keyRing: KeyRing, version: RoomVersion, pdu: Pdu, server: string): Promise<boolean> {
  const signatures = pdu.signatures[server];
  if (!isJsonObject(signatures)) return false;
  const signed = { ...redactEvent(pdu, version), signatures: { [server]: signatures } };
  const minimum = version.enforceKeyValidity ? pdu.origin_server_ts : 0;
  for (const keyId of Object.keys(signatures)) {
    if (!keyId.startsWith('ed25519:')) continue;
    const key = await keyRing.getVerifyKey(server, keyId, minimum);
    if (key && verifyJsonSignature(signed, server, keyId, key, { strict: version.strictCanonicalJson })) return true;
  }
  return false;
}

/** Adds our signature to someone else's event (invites we receive, restricted joins we vouch for). */
export function countersign<T extends Pdu>(pdu: T, version: RoomVersion, serverName: string, key: SigningKey): T {
  const signature = encodeBase64(signBytes(key, Buffer.from(redactedSigningJson(pdu as EventJson, version), 'utf8')));
  return withSignature(pdu, serverName, key.keyId, signature) as T;
}
