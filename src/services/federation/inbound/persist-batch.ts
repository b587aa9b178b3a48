import type { Storage } from '../../../storage/storage.js';
import { MissingEventsError, type PersistInput, type PersistOutcome } from '../../rooms/event-persister.js';
import type { RoomServices } from '../../rooms/index.js';

/**
 * Persists several events in ONE SQLite transaction (one fsync instead of one per event), each
 * in its own savepoint so that one failing (MissingEventsError, a hostile event that trips
 * something) rolls back alone. `next` is asked for each input just before it is written, so it
 * sees what the earlier ones wrote and can stop the run (undefined) where an event needs
 * something fetched first. Outcomes are announced after the commit, as EventPersister.persist
 * would.
 */
export interface BatchItemResult {
  readonly outcome?: PersistOutcome;
  readonly error?: unknown;
}

export function persistBatch(
  storage: Storage,
  rooms: Pick<RoomServices, 'loader' | 'persister'>,
  count: number,
  next: (index: number) => PersistInput | undefined,
): BatchItemResult[] {
  const results: BatchItemResult[] = [];
  const { loader, persister } = rooms;
  loader.inTransaction(() =>
    storage.transaction(() => {
      for (let i = 0; i < count; i++) {
        const input = next(i);
        if (!input) break;
        try {
          results.push({ outcome: loader.inTransaction(() => storage.transaction(() => persister.write(input))) });
        } catch (error) {
          results.push({ error });
        }
      }
    }),
  );
  for (const r of results) if (r.outcome) persister.announce(r.outcome);
  return results;
}

export function isMissingEvents(error: unknown): error is MissingEventsError {
  return error instanceof MissingEventsError;
}
