import type { JsonObject } from '../../../core/json.js';
import type { Storage } from '../../../storage/storage.js';
import type { Clock } from '../../clock.js';
import type { RoomServices } from '../../rooms/index.js';
import { walkBackwards } from './dag-walk.js';
import { pduOut } from './pdu-out.js';
import type { RoomGate } from './room-gate.js';
import { ServerVisibility } from './server-visibility.js';

/** Events per backfill page at most, whatever `limit` asks (Synapse caps at 100 too). */
export const MAX_BACKFILL_LIMIT = 100;

/**
 * GET /backfill/{roomId}?v&limit: the events before (and including) the `v` events, deepest
 * first, as a transaction. Events the requesting server may not see are sent redacted.
 */
export class FederationBackfill {
  constructor(
    private readonly serverName: string,
    private readonly storage: Storage,
    private readonly rooms: RoomServices,
    private readonly gate: RoomGate,
    private readonly clock: Clock,
  ) {}

  backfill(origin: string, roomId: string, from: readonly string[], limit: number): JsonObject {
    this.gate.require(origin, roomId);
    const rows = walkBackwards(this.storage, roomId, from.slice(0, 20), { limit: Math.min(Math.max(limit, 0), MAX_BACKFILL_LIMIT), includeStart: true });
    const visibility = new ServerVisibility(this.storage, this.rooms, origin);
    const pdus: JsonObject[] = [];
    for (const row of rows) {
      const pdu = pduOut(this.rooms.loader, row.eventId, visibility.redacted(row));
      if (pdu) pdus.push(pdu);
    }
    return { origin: this.serverName, origin_server_ts: this.clock.now(), pdus };
  }
}
