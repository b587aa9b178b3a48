import { isJsonObject, type JsonObject } from '../json.js';

/**
 * Relationships between events (spec "Forming relationships between events"): an event relates
 * to another through `content["m.relates_to"]` with a string `rel_type` and `event_id`. Rich
 * replies (`m.in_reply_to` alone) are not relations in this sense and have no rel_type.
 */

export const REL_THREAD = 'm.thread';
export const REL_REPLACE = 'm.replace';
export const REL_REFERENCE = 'm.reference';
export const REL_ANNOTATION = 'm.annotation';

export interface Relation {
  readonly relType: string;
  readonly eventId: string;
}

/** Bounds what the index stores: identifiers longer than this are not valid Matrix IDs anyway. */
const MAX_ID_LENGTH = 255;

/** The relation an event's content declares, if any. */
export function relationOf(content: JsonObject | undefined): Relation | undefined {
  const relatesTo = content?.['m.relates_to'];
  if (!isJsonObject(relatesTo)) return undefined;
  const relType = relatesTo['rel_type'];
  const eventId = relatesTo['event_id'];
  if (typeof relType !== 'string' || typeof eventId !== 'string') return undefined;
  if (relType.length === 0 || relType.length > MAX_ID_LENGTH || eventId.length === 0 || eventId.length > MAX_ID_LENGTH) return undefined;
  return { relType, eventId };
}
