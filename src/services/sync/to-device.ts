import type { JsonObject } from '../../core/json.js';
import type { SyncContext } from './context.js';

/** The `to_device` section of a sync for the requesting device. */
export interface ToDeviceSection {
  readonly events: JsonObject[];
  /** The to_device position the response's next_batch carries (the last message delivered). */
  readonly position: number;
}

export function toDeviceSection(ctx: SyncContext): ToDeviceSection {
  return { events: [], position: ctx.now.toDevice };
}
