import type { JsonObject, JsonValue } from '../../core/json.js';
import type { CrossSigningKeyType, StoredCrossSigningKey } from '../../storage/cross-signing-repo.js';
import type { Storage } from '../../storage/storage.js';
import { withSignatures } from './key-objects.js';

/**
 * Our users' keys as the key endpoints answer them, for clients (/keys/query, /keys/claim) and
 * for other servers (user/keys/query, user/keys/claim, user/devices): read from storage only.
 */

/**
 * A device's keys as published: the uploaded object, its owner's signatures uploaded since
 * (self-signing), and `unsigned.device_display_name` when asked for.
 */
export function publishedDeviceKeys(storage: Storage, userId: string, deviceId: string, keysJson: string, displayName?: string | null): JsonObject {
  const owners = storage.crossSigning.signaturesOf(userId, deviceId).filter((s) => s.signerUserId === userId);
  const keys = withSignatures(keysJson, owners);
  if (displayName !== undefined && displayName !== null) keys['unsigned'] = { device_display_name: displayName };
  return keys;
}

/**
 * A cross-signing key as published: with the signatures of its owner (their devices signing the
 * master key) and of `viewer` (their user-signing key), which only the viewer may see.
 */
export function publishedCrossSigningKey(storage: Storage, key: StoredCrossSigningKey, viewer: string | undefined): JsonObject {
  const signatures = storage.crossSigning
    .signaturesOf(key.userId, key.publicKey)
    .filter((s) => s.signerUserId === key.userId || (viewer !== undefined && s.signerUserId === viewer));
  return withSignatures(key.keyJson, signatures);
}

/** The user's published keys of one type, or undefined. */
export function crossSigningKeyOf(storage: Storage, userId: string, type: CrossSigningKeyType, viewer: string | undefined): JsonObject | undefined {
  const key = storage.crossSigning.get(userId, type);
  return key && publishedCrossSigningKey(storage, key, viewer);
}

/**
 * `device_keys` for local users: a user's listed devices, or every device when the list is
 * empty; devices that never uploaded keys are left out, unknown users too (the spec: no failure).
 */
export function localDeviceKeys(storage: Storage, query: Readonly<Record<string, readonly string[]>>, withDisplayNames: boolean): JsonObject {
  const out: JsonObject = {};
  for (const [userId, deviceIds] of Object.entries(query)) {
    if (!storage.accounts.get(userId)) continue;
    const wanted = deviceIds.length === 0 ? undefined : new Set(deviceIds);
    const devices: JsonObject = {};
    for (const { deviceId, keysJson } of storage.e2eKeys.deviceKeysOfUser(userId)) {
      if (wanted && !wanted.has(deviceId)) continue;
      const name = withDisplayNames ? storage.devices.get(userId, deviceId)?.displayName : undefined;
      devices[deviceId] = publishedDeviceKeys(storage, userId, deviceId, keysJson, name);
    }
    out[userId] = devices;
  }
  return out;
}

/**
 * master_keys, self_signing_keys (and user_signing_keys, the viewer's own only) of these users,
 * as far as we hold them (local users, and remote users we know of).
 */
export function crossSigningKeysOf(storage: Storage, userIds: Iterable<string>, viewer: string | undefined): {
  master_keys: JsonObject;
  self_signing_keys: JsonObject;
  user_signing_keys: JsonObject;
} {
  const master: JsonObject = {};
  const selfSigning: JsonObject = {};
  const userSigning: JsonObject = {};
  for (const userId of userIds) {
    for (const key of storage.crossSigning.ofUser(userId)) {
      if (key.type === 'master') master[userId] = publishedCrossSigningKey(storage, key, viewer);
      else if (key.type === 'self_signing') selfSigning[userId] = publishedCrossSigningKey(storage, key, viewer);
      else if (userId === viewer) userSigning[userId] = publishedCrossSigningKey(storage, key, viewer);
    }
  }
  return { master_keys: master, self_signing_keys: selfSigning, user_signing_keys: userSigning };
}

/**
 * Claims one key per (local user, device, algorithm): the oldest one-time key, else the fallback
 * key (marked used; it stays until replaced). Unknown devices and exhausted ones are left out.
 */
export function claimLocalKeys(storage: Storage, query: Readonly<Record<string, Readonly<Record<string, string>>>>): JsonObject {
  return storage.transaction(() => {
    const out: JsonObject = {};
    for (const [userId, devices] of Object.entries(query)) {
      const claimed: JsonObject = {};
      for (const [deviceId, algorithm] of Object.entries(devices)) {
        const otk = storage.e2eKeys.claimOneTimeKey(userId, deviceId, algorithm);
        if (otk) {
          claimed[deviceId] = { [`${algorithm}:${otk.keyId}`]: JSON.parse(otk.keyJson) as JsonValue };
          continue;
        }
        const fallback = storage.e2eKeys.fallbackKey(userId, deviceId, algorithm);
        if (!fallback) continue;
        if (!fallback.used) storage.e2eKeys.markFallbackKeyUsed(userId, deviceId, algorithm);
        claimed[deviceId] = { [`${algorithm}:${fallback.keyId}`]: JSON.parse(fallback.keyJson) as JsonValue };
      }
      if (Object.keys(claimed).length > 0) out[userId] = claimed;
    }
    return out;
  });
}
