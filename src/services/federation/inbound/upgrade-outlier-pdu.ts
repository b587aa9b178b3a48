import type { StateMap } from '../../../core/events/room-event.js';
import type { Storage } from '../../../storage/storage.js';
import type { PersistInput, PersistOutcome } from '../../rooms/event-persister.js';
import type { RoomServices } from '../../rooms/index.js';
import type { AuthFetcher } from './fetch-auth.js';
import type { PrevFetcher } from './fetch-prev.js';
import { PduDroppedError, type IncomingPdu, type PduResult } from './incoming-pdu.js';
import { isMissingEvents, persistBatch } from './persist-batch.js';

/**
 * The last step (conduwuit's upgrade_outlier_pdu): a verified event whose auth events are here
 * enters the room's DAG through the rooms' EventPersister, which checks it against its auth
 * events (else rejected), against the state before it (else rejected) and against the current
 * state (else soft-failed), moves the forward extremities and current state, and notifies sync.
 * The state before comes from its prev events, or from state-at-incoming when some are missing.
 *
 * Runs of events whose prev and auth events are all here (the normal case: a server's next
 * messages) are written in one SQLite transaction.
 */
export class TimelineWriter {
  constructor(
    private readonly storage: Storage,
    private readonly rooms: RoomServices,
    private readonly prevs: PrevFetcher,
    private readonly auths: AuthFetcher,
  ) {}

  /** Everything the event needs is here: it can be persisted without asking anyone. */
  isReady(p: IncomingPdu): boolean {
    return this.prevs.missingPrevs(p).length === 0 && this.auths.missingAuthEvents(p).length === 0;
  }

  /** Persists one event; throws PduDroppedError when it still cannot be (missing events). */
  persist(p: IncomingPdu, stateBefore?: StateMap): PduResult {
    const [r] = persistBatch(this.storage, this.rooms, 1, () => inputOf(p, stateBefore));
    if (r?.outcome) return resultOf(r.outcome);
    if (isMissingEvents(r?.error)) throw new PduDroppedError(`Could not obtain ${r.error.kind} events ${r.error.eventIds.join(', ')}`);
    throw r?.error ?? new Error('event not persisted');
  }

  /**
   * Persists items[from..] in one transaction for as long as each is ready; returns the results
   * (in order) of those it wrote. The first one not ready is left for the slow path.
   */
  persistReadyRun(items: readonly IncomingPdu[], from: number): PduResult[] {
    const results = persistBatch(this.storage, this.rooms, items.length - from, (i) => {
      const p = items[from + i]!;
      return this.isReady(p) ? inputOf(p) : undefined;
    });
    return results.map((r) => {
      if (r.outcome) return resultOf(r.outcome);
      if (isMissingEvents(r.error)) return { error: `Could not obtain ${r.error.kind} events ${r.error.eventIds.join(', ')}` };
      return { error: 'Internal error while persisting the event' };
    });
  }
}

function inputOf(p: IncomingPdu, stateBefore?: StateMap): PersistInput {
  return { pdu: p.pdu, event: p.event, version: p.version, ...(stateBefore ? { stateBefore } : {}) };
}

/** Accepted, soft-failed and already-known events are `{}` to the sender; rejected ones carry the reason. */
export function resultOf(outcome: PersistOutcome): PduResult {
  if (outcome.status === 'rejected') return { error: `Event rejected: ${outcome.rejectedReason ?? 'not allowed by the auth rules'}` };
  return {};
}
