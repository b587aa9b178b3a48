import type { JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import { parseSyncToken } from '../sync/token.js';
import { deviceListChanges } from './device-list-window.js';

/**
 * GET /keys/changes?from&to: the device_lists a sync from `from` to `to` would carry. Both are
 * sync tokens (M_INVALID_PARAM otherwise); `to` past the present, or absent, reads as the present.
 */
export function keyChanges(storage: Storage, userId: string, from: string, to: string | undefined): JsonObject {
  const since = parseSyncToken(from);
  const nowEvents = storage.timeline.maxStreamOrdering();
  const nowDeviceLists = storage.streamPositions.current('device_lists');
  const until = to === undefined ? { events: nowEvents, deviceLists: nowDeviceLists } : parseSyncToken(to);
  const end = { events: Math.min(until.events, nowEvents), deviceLists: Math.min(until.deviceLists, nowDeviceLists) };
  const start = { events: Math.min(since.events, end.events), deviceLists: Math.min(since.deviceLists, end.deviceLists) };
  const { changed, left } = deviceListChanges(storage, userId, start, end);
  return { changed, left };
}
