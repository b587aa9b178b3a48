import type { JsonObject } from '../../../core/json.js';
import type { Storage } from '../../../storage/storage.js';
import type { RoomServices } from '../../rooms/index.js';
import { walkBackwards } from './dag-walk.js';
import { pduOut } from './pdu-out.js';
import type { RoomGate } from './room-gate.js';
import { ServerVisibility } from './server-visibility.js';

/** Events per answer at most (the spec's default limit is 10). */
const MAX_MISSING_EVENTS_LIMIT = 50;
const MAX_LISTED_EVENTS = 50;

export interface MissingEventsQuery {
  readonly earliest: readonly string[];
  readonly latest: readonly string[];
  readonly limit: number;
  readonly minDepth: number;
}

/**
 * POST /get_missing_events/{roomId}: the events before `latest_events` (not those themselves)
 * back to, and not including, `earliest_events`, at least `min_depth` deep, at most `limit`,
 * oldest first so the asking server can persist them in order.
 */
export class FederationMissingEvents {
  constructor(
    private readonly storage: Storage,
    private readonly rooms: RoomServices,
    private readonly gate: RoomGate,
  ) {}

  missingEvents(origin: string, roomId: string, query: MissingEventsQuery): JsonObject {
    this.gate.require(origin, roomId);
    const limit = Math.min(Math.max(query.limit, 0), MAX_MISSING_EVENTS_LIMIT);
    const rows = walkBackwards(this.storage, roomId, query.latest.slice(0, MAX_LISTED_EVENTS), {
      limit,
      includeStart: false,
      skip: new Set(query.earliest.slice(0, MAX_LISTED_EVENTS)),
      minDepth: query.minDepth,
    });
    rows.sort((a, b) => a.depth - b.depth || a.streamOrdering - b.streamOrdering);
    const visibility = new ServerVisibility(this.storage, this.rooms, origin);
    const events: JsonObject[] = [];
    for (const row of rows) {
      const pdu = pduOut(this.rooms.loader, row.eventId, visibility.redacted(row));
      if (pdu) events.push(pdu);
    }
    return { events };
  }
}
