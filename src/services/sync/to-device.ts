import type { JsonObject } from '../../core/json.js';
import type { SyncContext } from './context.js';

/** The `to_device` section of a sync for the requesting device. */
export interface ToDeviceSection {
  readonly events: JsonObject[];
  /** The to_device position the response's next_batch carries (the last message delivered). */
  readonly position: number;
}

/** Messages per response; the rest follow in the next syncs (Synapse sends 100 as well). */
export const MAX_TO_DEVICE_PER_SYNC = 100;

/**
 * The device's messages in (since, now], oldest first, at most MAX_TO_DEVICE_PER_SYNC. A sync
 * with `since` acknowledges everything up to its to_device position: the client got those in the
 * response that handed it the token, so they are deleted now. A client that syncs again from an
 * older token gets the messages after that token again. When the page is full, `position` stops
 * at its last message, so the next sync continues from there and nothing is skipped.
 */
export function toDeviceSection(ctx: SyncContext): ToDeviceSection {
  const inbox = ctx.deps.storage.toDevice;
  const after = ctx.since?.toDevice ?? 0;
  // One index seek answers most syncs (an empty inbox); the delete, a write, runs only when
  // there is something to acknowledge.
  const oldest = inbox.oldestPending(ctx.userId, ctx.deviceId);
  if (oldest === undefined) return { events: [], position: ctx.now.toDevice };
  if (ctx.since && oldest <= after) inbox.deleteUpTo(ctx.userId, ctx.deviceId, after);
  const messages = after < ctx.now.toDevice ? inbox.window(ctx.userId, ctx.deviceId, after, ctx.now.toDevice, MAX_TO_DEVICE_PER_SYNC) : [];
  const events = messages.map((m): JsonObject => ({ sender: m.sender, type: m.type, content: JSON.parse(m.contentJson) as JsonObject }));
  const last = messages.at(-1);
  const position = messages.length === MAX_TO_DEVICE_PER_SYNC && last ? last.streamId : ctx.now.toDevice;
  return { events, position };
}
