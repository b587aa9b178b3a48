import type { JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import { invalidParam, notFound } from '../errors.js';
import type { Requester } from '../requester.js';
import type { DeviceListStream } from './device-list-stream.js';
import { checkDeviceKeys, parseKeyMap, sameOneTimeKey } from './key-objects.js';

/**
 * POST /keys/upload: the requesting device's identity keys, one-time keys and fallback keys.
 * Everything is checked before anything is written, and written in one transaction, so a bad
 * request stores nothing. New identity keys are a device-list change (room-mates and other
 * servers hear of it); one-time and fallback keys are not.
 */

export interface KeyUploadRequest {
  readonly device_keys?: JsonObject | undefined;
  readonly one_time_keys?: JsonObject | undefined;
  readonly fallback_keys?: JsonObject | undefined;
}

/** Per request (clients upload at most 50 at a time) and held per device (vodozemac keeps at most 100). */
export const MAX_KEYS_PER_UPLOAD = 100;
export const MAX_ONE_TIME_KEYS_PER_DEVICE = 1000;

export class KeyUploader {
  constructor(
    private readonly storage: Storage,
    private readonly stream: DeviceListStream,
    private readonly clock: Clock,
  ) {}

  upload(requester: Requester, request: KeyUploadRequest): JsonObject {
    const { userId, deviceId } = requester;
    for (const field of ['one_time_keys', 'fallback_keys'] as const) {
      const map = request[field];
      if (map && Object.keys(map).length > MAX_KEYS_PER_UPLOAD) throw invalidParam(`At most ${MAX_KEYS_PER_UPLOAD} keys in '${field}' per upload`);
    }
    // An empty object uploads nothing, as in Synapse.
    const deviceKeys = request.device_keys && Object.keys(request.device_keys).length > 0 ? checkDeviceKeys(request.device_keys, userId, deviceId) : undefined;
    const oneTimeKeys = request.one_time_keys ? parseKeyMap(request.one_time_keys, 'one_time_keys') : [];
    const fallbackKeys = request.fallback_keys ? parseKeyMap(request.fallback_keys, 'fallback_keys') : [];

    const { e2eKeys } = this.storage;
    const changed = this.storage.transaction(() => {
      // Keys outliving their device would be published for a device that is gone.
      if (!this.storage.devices.get(userId, deviceId)) throw notFound('Unknown device');
      const keysChanged = deviceKeys !== undefined && e2eKeys.putDeviceKeys(userId, deviceId, deviceKeys, this.clock.now());
      let held = [...e2eKeys.oneTimeKeyCounts(userId, deviceId).values()].reduce((a, b) => a + b, 0);
      for (const key of oneTimeKeys) {
        const existing = e2eKeys.oneTimeKey(userId, deviceId, key.algorithm, key.keyId);
        if (existing !== undefined) {
          // A retried upload is fine; a different key under a known ID is a client bug.
          if (!sameOneTimeKey(existing, key.json)) throw invalidParam(`One-time key ${key.algorithm}:${key.keyId} already exists with different content`);
          continue;
        }
        if (++held > MAX_ONE_TIME_KEYS_PER_DEVICE) throw invalidParam(`A device may hold at most ${MAX_ONE_TIME_KEYS_PER_DEVICE} unclaimed one-time keys`);
        e2eKeys.insertOneTimeKey(userId, deviceId, key.algorithm, key.keyId, key.json);
      }
      for (const key of fallbackKeys) e2eKeys.putFallbackKey(userId, deviceId, key.algorithm, key.keyId, key.json);
      return keysChanged;
    });
    if (changed) this.stream.devicesChanged(userId, [deviceId], false);
    return { one_time_key_counts: oneTimeKeyCounts(this.storage, userId, deviceId) };
  }
}

/**
 * Unclaimed one-time keys per algorithm. signed_curve25519 is always there, 0 included, as
 * Synapse answers: clients decide from it whether to upload more.
 */
export function oneTimeKeyCounts(storage: Storage, userId: string, deviceId: string): JsonObject {
  const counts: JsonObject = { signed_curve25519: 0 };
  for (const [algorithm, n] of storage.e2eKeys.oneTimeKeyCounts(userId, deviceId)) counts[algorithm] = n;
  return counts;
}
