import { invalidParam } from '../errors.js';
import type { StreamPositions } from '../notifier.js';

/**
 * The /sync token (`since` / `next_batch`): one position per stream, written
 * `s<events>_<account_data>_<receipts>_<typing>_<presence>_<to_device>_<device_lists>` in decimal,
 * e.g. `s1042_17_9_1732412345678_33_5_12`.
 *
 * - events: events.stream_ordering (rooms, timelines, state, memberships)
 * - account_data, receipts, presence, to_device, device_lists: their stream_positions counters
 *   (stored, so they survive restarts)
 * - typing: the in-memory typing stream, which restarts from the clock (see ephemeral/typing.ts)
 *
 * Streams added later are appended; a token without them reads them as 0, so old tokens stay
 * valid (a five-part token from before to-device and device lists existed included).
 */
export interface SyncToken {
  readonly events: number;
  readonly accountData: number;
  readonly receipts: number;
  readonly typing: number;
  readonly presence: number;
  readonly toDevice: number;
  readonly deviceLists: number;
}

const TOKEN = /^s(\d{1,16}(?:_\d{1,16}){0,15})$/;

/**
 * Trailing zero positions are left out (they read back as 0): a device that never uses
 * to-device or device lists, like most sensors, does not pay for them in every token.
 */
export function serializeSyncToken(t: SyncToken): string {
  const parts = [t.events, t.accountData, t.receipts, t.typing, t.presence, t.toDevice, t.deviceLists];
  while (parts.length > 1 && parts.at(-1) === 0) parts.pop();
  return `s${parts.join('_')}`;
}

/** Parses a sync token, or undefined when `text` is not one (e.g. a /messages token). */
export function tryParseSyncToken(text: string): SyncToken | undefined {
  const m = TOKEN.exec(text);
  if (!m) return undefined;
  const parts = m[1]!.split('_').map(Number);
  if (parts.some((n) => !Number.isSafeInteger(n))) return undefined;
  return {
    events: parts[0] ?? 0,
    accountData: parts[1] ?? 0,
    receipts: parts[2] ?? 0,
    typing: parts[3] ?? 0,
    presence: parts[4] ?? 0,
    toDevice: parts[5] ?? 0,
    deviceLists: parts[6] ?? 0,
  };
}

export function parseSyncToken(text: string): SyncToken {
  const token = tryParseSyncToken(text);
  if (!token) throw invalidParam('Invalid sync token');
  return token;
}

/** The token as the notifier's stream positions (stream names as writers notify them). */
export function notifierPositions(t: SyncToken): StreamPositions {
  return { events: t.events, account_data: t.accountData, receipts: t.receipts, typing: t.typing, presence: t.presence, to_device: t.toDevice, device_lists: t.deviceLists };
}
