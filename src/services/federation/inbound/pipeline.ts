import type { JsonValue } from '../../../core/json.js';
import type { Storage } from '../../../storage/storage.js';
import type { Logger } from '../../logger.js';
import type { RoomServices } from '../../rooms/index.js';
import type { AuthFetcher } from './fetch-auth.js';
import { FetchBudget, REQUESTS_PER_TRANSACTION } from './fetch-budget.js';
import type { PrevFetcher } from './fetch-prev.js';
import { PduDroppedError, type IncomingPdu, type PduResult } from './incoming-pdu.js';
import { KeyedLock } from './keyed-lock.js';
import { parseIncomingPdu } from './parse-incoming-pdu.js';
import type { StateAtIncoming } from './state-at-incoming.js';
import type { TimelineWriter } from './upgrade-outlier-pdu.js';
import type { PduVerifier } from './verify-pdu.js';

/**
 * The inbound PDU pipeline, "Checks performed on receipt of a PDU" in the spec's order, one file
 * per step (after conduwuit's event_handler):
 *
 *   parse-incoming-pdu   room known, format valid for its version (else dropped)
 *   verify-pdu           signatures (else dropped), content hash (else redacted)
 *   fetch-prev           unknown prev events: /get_missing_events, persisted oldest first
 *   fetch-auth           unknown auth events: /event_auth, then /event (stored as outliers,
 *                        same room only; still missing: dropped)
 *   state-at-incoming    prev events still missing: /state_ids at them, resolved
 *   upgrade-outlier-pdu  auth against auth events, state before, current state: accepted,
 *                        rejected (stored, never shown) or soft-failed (stored, no state)
 *
 * PDUs of one room are handled in order and one room at a time (a per-room lock), so two
 * servers' transactions cannot interleave a room's gap filling. Remote requests are bounded by
 * the caller's FetchBudget; PDUs pulled in to fill a gap do not fill gaps of their own.
 */
export class InboundPduPipeline {
  private readonly roomLocks = new KeyedLock();

  constructor(
    private readonly storage: Storage,
    private readonly rooms: RoomServices,
    private readonly verifier: PduVerifier,
    private readonly auths: AuthFetcher,
    private readonly prevs: PrevFetcher,
    private readonly stateAt: StateAtIncoming,
    private readonly writer: TimelineWriter,
    private readonly log: Logger,
  ) {}

  /** One untrusted PDU from `origin` (e.g. pushed outside a transaction); its result. */
  async handleIncomingPdu(origin: string, raw: JsonValue, budget = new FetchBudget(REQUESTS_PER_TRANSACTION)): Promise<PduResult> {
    let p: IncomingPdu;
    try {
      p = parseIncomingPdu(raw, (id) => this.rooms.loader.versionOf(id));
    } catch (err) {
      return { error: messageOf(err) };
    }
    const results = await this.handleRoomPdus(origin, p.roomId, [p], budget);
    return results.get(p.eventId) ?? {};
  }

  /**
   * PDUs of one room (parsed, in the order received) from `origin`; the result per event ID.
   * Never throws for anything the PDUs contain.
   */
  handleRoomPdus(origin: string, roomId: string, items: readonly IncomingPdu[], budget: FetchBudget): Promise<Map<string, PduResult>> {
    return this.roomLocks.run(roomId, () => this.handleInOrder(origin, items, budget));
  }

  private async handleInOrder(origin: string, items: readonly IncomingPdu[], budget: FetchBudget): Promise<Map<string, PduResult>> {
    const results = new Map<string, PduResult>();
    const fresh: IncomingPdu[] = [];
    for (const p of items) {
      if (results.has(p.eventId)) continue;
      // Known already (a retry, an event fetched earlier): nothing to do.
      if (this.storage.events.has(p.eventId)) results.set(p.eventId, {});
      else {
        results.set(p.eventId, {});
        fresh.push(p);
      }
    }

    // Signatures of the whole batch at once: the key ring fetches each server's keys once.
    const verified = await Promise.all(
      fresh.map(async (p) => {
        try {
          return await this.verifier.verify(p);
        } catch (err) {
          results.set(p.eventId, { error: messageOf(err) });
          return undefined;
        }
      }),
    );
    const ready = verified.filter((p): p is IncomingPdu => p !== undefined);

    let i = 0;
    while (i < ready.length) {
      const run = this.writer.persistReadyRun(ready, i);
      run.forEach((r, k) => results.set(ready[i + k]!.eventId, r));
      i += run.length;
      if (i >= ready.length) break;
      const p = ready[i]!;
      results.set(p.eventId, await this.handleSlowly(origin, p, budget, true));
      i++;
    }
    return results;
  }

  /** An event that needs remote help: auth events, prev events, or the state before it. */
  private async handleSlowly(origin: string, p: IncomingPdu, budget: FetchBudget, fillGaps: boolean): Promise<PduResult> {
    try {
      if (this.storage.events.has(p.eventId)) return {};
      // The gap first: an event missing both as a prev and as an auth event (a member event, a
      // power levels change) then enters the timeline, instead of being fetched as an outlier
      // (which it would stay: the persister does not turn outliers into timeline events).
      let missingPrevs = this.prevs.missingPrevs(p);
      if (missingPrevs.length > 0 && fillGaps) {
        for (const q of await this.prevs.fetchGap(origin, p, budget)) {
          const r = await this.handleSlowly(origin, q, budget, false);
          if (r.error !== undefined) this.log.debug({ origin, eventId: q.eventId, error: r.error }, 'gap event not persisted');
        }
        missingPrevs = this.prevs.missingPrevs(p);
      }
      const missingAuth = await this.auths.fetchMissing(origin, p, budget);
      if (missingAuth.length > 0) throw new PduDroppedError(`Could not obtain auth events ${missingAuth.join(', ')}`);
      const stateBefore = missingPrevs.length > 0 ? await this.stateAt.stateBefore(origin, p, missingPrevs, budget) : undefined;
      return this.writer.persist(p, stateBefore);
    } catch (err) {
      if (!(err instanceof PduDroppedError)) this.log.warn({ err, origin, eventId: p.eventId }, 'inbound PDU failed');
      return { error: messageOf(err) };
    }
  }
}

function messageOf(err: unknown): string {
  return err instanceof PduDroppedError ? err.message : 'Internal error while handling the event';
}
