import { encodeBase64 } from '../base64.js';
import { addContentHash, redactedSigningJson } from '../hashes.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import type { RoomVersion } from '../room-versions.js';
import { decodeSignature, signBytes, verifyBytes, withSignature, type SigningKey } from '../signing.js';
import { isValidUserId, serverNameOf } from './pdu.js';
import type { EventJson } from './redaction.js';

/**
 * Event signing (server-server-api.md "Signing Events"): the content hash goes into `hashes`,
 * then the *redacted* event is signed, so a signature stays checkable on a redacted copy while
 * the content hash still detects tampering with the unprotected keys.
 */

/** Returns a copy of the PDU with `hashes.sha256` set and `signatures[origin][key.keyId]` added. */
export function hashAndSignEvent<T extends EventJson>(
  pdu: T,
  origin: string,
  key: SigningKey,
  version: RoomVersion,
): T & { hashes: { sha256: string }; signatures: JsonObject } {
  const hashed = addContentHash(pdu, version);
  const signature = signBytes(key, Buffer.from(redactedSigningJson(hashed, version), 'utf8'));
  return withSignature(hashed, origin, key.keyId, encodeBase64(signature));
}

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: SignatureCheck = Object.freeze({ ok: true });

function failure(reason: string): SignatureCheck {
  return { ok: false, reason };
}

function member(object: EventJson | JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/**
 * Servers whose signature the event must carry, or a reason string when the event does not say
 * who they are. A 3pid invite is exempt from its sender's signature (the invitee's server makes
 * it on the inviter's behalf; the auth rules check the 3pid signature instead).
 */
export function requiredSigningServers(pdu: EventJson, version: RoomVersion): string[] | string {
  const servers: string[] = [];
  const sender = member(pdu, 'sender');
  const senderServer = typeof sender === 'string' ? serverNameOf(sender) : undefined;
  if (senderServer === undefined) return 'sender is not a user ID';

  const type = member(pdu, 'type');
  const content = member(pdu, 'content');
  const membership = type === 'm.room.member' && isJsonObject(content) ? member(content, 'membership') : undefined;

  const thirdPartyInvite = membership === 'invite' && isJsonObject(content) && isJsonObject(member(content, 'third_party_invite'));
  if (!thirdPartyInvite) servers.push(senderServer);

  if (version.eventIdFormat === 'explicit') {
    // Rooms v1/v2 also need the signature of the server that minted the event ID.
    const eventId = member(pdu, 'event_id');
    const idServer = typeof eventId === 'string' ? serverNameOf(eventId) : undefined;
    if (idServer === undefined) return 'event_id has no server name';
    if (!servers.includes(idServer)) servers.push(idServer);
  }

  if (version.restrictedJoins && membership === 'join' && isJsonObject(content) && Object.hasOwn(content, 'join_authorised_via_users_server')) {
    // A restricted join must be countersigned by the resident server that vouched for it.
    const via = content.join_authorised_via_users_server;
    if (typeof via !== 'string' || !isValidUserId(via)) return 'join_authorised_via_users_server is not a user ID';
    const viaServer = serverNameOf(via)!;
    if (!servers.includes(viaServer)) servers.push(viaServer);
  }
  return servers;
}

/**
 * Checks every signature the event needs (see requiredSigningServers) over its redacted form.
 * Per server: signatures under unknown key IDs or non-ed25519 algorithms are skipped, every one
 * under a known key must verify, and at least one must. `lookupKey` returns the public key for
 * (server, keyId), or undefined if unknown/expired at the event's time; the caller decides that.
 * Hashes are not checked here (see contentHashMatches), nor 3pid invite signatures (auth rules).
 */
export function verifyEventSignatures(
  pdu: EventJson,
  version: RoomVersion,
  lookupKey: (server: string, keyId: string) => Uint8Array | undefined,
): SignatureCheck {
  const servers = requiredSigningServers(pdu, version);
  if (typeof servers === 'string') return failure(servers);
  const signatures = member(pdu, 'signatures');
  if (!isJsonObject(signatures)) return failure('no signatures');

  let message: Buffer;
  try {
    message = Buffer.from(redactedSigningJson(pdu, version), 'utf8');
  } catch {
    return failure('event is not valid canonical JSON for this room version');
  }

  // A 3pid invite in v3+ has no required server; it still needs one valid signature from someone.
  const checked = servers.length > 0 ? servers : Object.keys(signatures);
  let anyVerified = false;
  for (const server of checked) {
    const serverSignatures = member(signatures, server);
    if (!isJsonObject(serverSignatures)) {
      if (servers.length > 0) return failure(`no signature from ${server}`);
      continue;
    }
    let verified = 0;
    for (const keyId of Object.keys(serverSignatures)) {
      if (!keyId.startsWith('ed25519:')) continue;
      const publicKey = lookupKey(server, keyId);
      if (publicKey === undefined) continue;
      const signature = decodeSignature(serverSignatures[keyId]);
      if (!signature || !verifyBytes(publicKey, message, signature)) {
        return failure(`bad signature from ${server} with ${keyId}`);
      }
      verified++;
    }
    if (verified > 0) anyVerified = true;
    else if (servers.length > 0) return failure(`no signature from ${server} with a known key`);
  }
  return anyVerified ? OK : failure('no signature with a known key');
}
