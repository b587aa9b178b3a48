import type { JsonObject } from '../../core/json.js';
import { deviceListChanges } from '../e2e/device-list-window.js';
import { oneTimeKeyCounts } from '../e2e/key-upload.js';
import type { SyncContext } from './context.js';

/**
 * The end-to-end encryption members of a sync: `device_lists` (users whose devices changed,
 * users no longer sharing a room; incremental syncs only, see e2e/device-list-window.ts) and the
 * requesting device's one-time key counts and unused fallback key types, present once the device
 * has uploaded any key (a sensor that never does pays nothing for them).
 */
export interface DeviceListsSection {
  /** `{changed, left}`, or undefined when both are empty. */
  readonly deviceLists: JsonObject | undefined;
  readonly oneTimeKeysCount: JsonObject | undefined;
  readonly unusedFallbackKeyTypes: string[] | undefined;
}

export function deviceListsSection(ctx: SyncContext, _joinedRoomIds: readonly string[]): DeviceListsSection {
  const { storage } = ctx.deps;
  let deviceLists: JsonObject | undefined;
  if (ctx.since !== undefined) {
    const { changed, left } = deviceListChanges(storage, ctx.userId, ctx.since, ctx.now);
    if (changed.length > 0 || left.length > 0) deviceLists = { changed, left };
  }
  if (!storage.e2eKeys.usesEncryption(ctx.userId, ctx.deviceId)) {
    return { deviceLists, oneTimeKeysCount: undefined, unusedFallbackKeyTypes: undefined };
  }
  return {
    deviceLists,
    oneTimeKeysCount: oneTimeKeyCounts(storage, ctx.userId, ctx.deviceId),
    unusedFallbackKeyTypes: storage.e2eKeys.unusedFallbackAlgorithms(ctx.userId, ctx.deviceId),
  };
}
