import type { JsonObject } from '../../core/json.js';
import type { SyncContext } from './context.js';

/**
 * The end-to-end encryption members of a sync: `device_lists` (users whose devices changed,
 * users no longer sharing a room) and the requesting device's one-time key counts.
 */
export interface DeviceListsSection {
  /** `{changed, left}`, or undefined when both are empty. */
  readonly deviceLists: JsonObject | undefined;
  readonly oneTimeKeysCount: JsonObject | undefined;
  readonly unusedFallbackKeyTypes: string[] | undefined;
}

export function deviceListsSection(_ctx: SyncContext, _joinedRoomIds: readonly string[]): DeviceListsSection {
  return { deviceLists: undefined, oneTimeKeysCount: undefined, unusedFallbackKeyTypes: undefined };
}
