import type { Storage } from '../../../storage/storage.js';
import type { Logger } from '../../logger.js';
import type { RoomServices } from '../../rooms/index.js';
import type { FetchBudget } from './fetch-budget.js';
import { PduDroppedError, type IncomingPdu } from './incoming-pdu.js';
import { parseIncomingPdu } from './parse-incoming-pdu.js';
import type { RemoteEvents } from './remote-events.js';
import type { PduVerifier } from './verify-pdu.js';

/**
 * Filling a gap before an incoming event (conduwuit's fetch_prev, Synapse's
 * _get_missing_events_for_pdu): when some prev events are unknown, ask the sender for the events
 * between our forward extremities and the new event (POST /get_missing_events, limit 10). The
 * events it returns, parsed and verified, are handed back oldest first for the pipeline to
 * persist before the new event; if that does not close the gap, the state before the event is
 * asked for instead (state-at-incoming.ts).
 */

/** Events asked for per gap, as Synapse does. */
export const MISSING_EVENTS_LIMIT = 10;
/** A peer may answer with more than it was asked for; the rest are ignored. */
const MAX_ACCEPTED = 2 * MISSING_EVENTS_LIMIT;

export class PrevFetcher {
  constructor(
    private readonly storage: Storage,
    private readonly rooms: RoomServices,
    private readonly remote: RemoteEvents,
    private readonly verifier: PduVerifier,
    private readonly log: Logger,
  ) {}

  /** Prev events that are not in the room's timeline (unknown, or known only as outliers). */
  missingPrevs(p: IncomingPdu): string[] {
    const prevs = [...new Set(p.event.prev_events)];
    const known = new Set(
      this.storage.events
        .getMany(prevs)
        .filter((row) => !row.outlier && row.roomId === p.roomId)
        .map((row) => row.eventId),
    );
    return prevs.filter((id) => !known.has(id));
  }

  private inTimeline(eventId: string): boolean {
    const row = this.storage.events.get(eventId);
    return row !== undefined && !row.outlier;
  }

  /** The events the sender has between our extremities and `p`, verified, oldest first. */
  async fetchGap(origin: string, p: IncomingPdu, budget: FetchBudget): Promise<IncomingPdu[]> {
    const earliest = this.storage.events.forwardExtremities(p.roomId).map((x) => x.eventId);
    const raws = await this.remote.missingEvents(
      origin,
      p.roomId,
      { earliest, latest: [p.eventId], limit: MISSING_EVENTS_LIMIT, minDepth: 0 },
      budget,
    );
    const seen = new Set<string>([p.eventId]);
    const parsed: IncomingPdu[] = [];
    for (const raw of raws.slice(0, MAX_ACCEPTED)) {
      try {
        const q = parseIncomingPdu(raw, (id) => this.rooms.loader.versionOf(id), p.roomId);
        // Known only as an outlier still counts as missing here: persisting it promotes it.
        if (seen.has(q.eventId) || this.inTimeline(q.eventId)) continue;
        seen.add(q.eventId);
        parsed.push(q);
      } catch (err) {
        this.log.debug({ reason: err instanceof PduDroppedError ? err.message : String(err), origin }, 'missing event dropped');
      }
    }
    const verified = await Promise.all(
      parsed.map(async (q) => {
        try {
          return await this.verifier.verify(q);
        } catch (err) {
          this.log.debug({ reason: err instanceof PduDroppedError ? err.message : String(err), origin, eventId: q.eventId }, 'missing event dropped');
          return undefined;
        }
      }),
    );
    return verified.filter((q): q is IncomingPdu => q !== undefined).sort((a, b) => a.event.depth - b.event.depth);
  }
}
