import { decodeBase64 } from '../base64.js';
import type { RoomEvent } from '../events/room-event.js';
import { isJsonObject, type JsonObject } from '../json.js';
import { verifyJsonSignature } from '../signing.js';
import { namedLevel, userLevel, type RoomPower } from './power-levels.js';
import { ALLOW, reject, type AuthResult, type AuthStateLookup } from './result.js';

/** Rule 7: whoever may invite may also send an m.room.third_party_invite. */
export function checkThirdPartyInviteEvent(event: RoomEvent, power: RoomPower): AuthResult {
  if (userLevel(power, event.sender) >= namedLevel(power, 'invite')) return ALLOW;
  return reject('sender may not send m.room.third_party_invite: below the invite level');
}

/** The token a membership invite's third_party_invite refers to, if it has one (auth events selection). */
export function thirdPartyInviteToken(content: JsonObject): string | undefined {
  const invite = content.third_party_invite;
  if (!isJsonObject(invite) || !isJsonObject(invite.signed)) return undefined;
  const token = invite.signed.token;
  return typeof token === 'string' ? token : undefined;
}

/**
 * Member rule "invite" 1: an invite backed by an identity server's signature on {mxid, token},
 * which must verify against a public key of the m.room.third_party_invite event the token names.
 * Reached only when content.third_party_invite is present; `targetMembership` is the state_key
 * user's current membership.
 */
export function checkThirdPartyInviteMembership(
  event: RoomEvent & { state_key: string },
  targetMembership: string | undefined,
  state: AuthStateLookup,
): AuthResult {
  // 1.1
  if (targetMembership === 'ban') return reject('third-party invite: target user is banned');
  // 1.2
  const thirdPartyInvite = event.content.third_party_invite;
  const signed = isJsonObject(thirdPartyInvite) ? thirdPartyInvite.signed : undefined;
  if (!isJsonObject(signed)) return reject('third-party invite has no signed object');
  // 1.3
  const { mxid, token } = signed;
  if (typeof mxid !== 'string' || typeof token !== 'string') {
    return reject('third-party invite signed object lacks mxid or token');
  }
  // 1.4
  if (mxid !== event.state_key) return reject('third-party invite mxid does not match the state_key');
  // 1.5
  const inviteEvent = state('m.room.third_party_invite', token);
  if (!inviteEvent) return reject('no m.room.third_party_invite in state for this token');
  // 1.6
  if (inviteEvent.sender !== event.sender) {
    return reject('third-party invite sender does not match the m.room.third_party_invite sender');
  }
  // 1.7, 1.8
  if (signedByAnyKey(signed, publicKeysOf(inviteEvent))) return ALLOW;
  return reject('no signature on the third-party invite matches a key of the m.room.third_party_invite');
}

/** content.public_key and every content.public_keys[].public_key, decoded; undecodable ones skipped. */
function publicKeysOf(inviteEvent: RoomEvent): Uint8Array[] {
  const encoded: string[] = [];
  const single = inviteEvent.content.public_key;
  if (typeof single === 'string') encoded.push(single);
  const list = inviteEvent.content.public_keys;
  if (Array.isArray(list)) {
    for (const entry of list) {
      if (isJsonObject(entry) && typeof entry.public_key === 'string') encoded.push(entry.public_key);
    }
  }
  const keys: Uint8Array[] = [];
  for (const text of encoded) {
    try {
      keys.push(decodeBase64(text));
    } catch {
      // A garbled key can never match a signature; the others may still.
    }
  }
  return keys;
}

/**
 * "If any signature in signed matches any public key": every (entity, ed25519 key ID) pair is
 * tried against every key. The entity name is not otherwise checked: the keys themselves come
 * from the room, so whoever holds one is the identity server the inviter chose.
 */
function signedByAnyKey(signed: JsonObject, keys: readonly Uint8Array[]): boolean {
  const signatures = signed.signatures;
  if (keys.length === 0 || !isJsonObject(signatures)) return false;
  for (const [entity, entitySignatures] of Object.entries(signatures)) {
    if (!isJsonObject(entitySignatures)) continue;
    for (const keyId of Object.keys(entitySignatures)) {
      if (!keyId.startsWith('ed25519:')) continue;
      for (const key of keys) {
        if (verifyJsonSignature(signed, entity, keyId, key)) return true;
      }
    }
  }
  return false;
}
