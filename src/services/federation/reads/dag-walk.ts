import type { StoredEvent } from '../../../storage/events-repo.js';
import type { Storage } from '../../../storage/storage.js';

/**
 * Walking a room's DAG backwards from some events, deepest first (Synapse's backfill and
 * get_missing_events walks): a priority queue by depth over prev-event edges, taking timeline
 * events of the room (not outliers, not rejected) until `limit` are found. `skip` events are
 * neither returned nor walked past.
 */
export function walkBackwards(
  storage: Storage,
  roomId: string,
  start: readonly string[],
  options: { limit: number; includeStart: boolean; skip?: ReadonlySet<string>; minDepth?: number },
): StoredEvent[] {
  const { limit, skip } = options;
  const minDepth = options.minDepth ?? 0;
  const seen = new Set<string>(skip ?? []);
  const found: StoredEvent[] = [];
  // Sorted by depth ascending, so pop() is the deepest; pages are small, a sorted array will do.
  const queue: StoredEvent[] = [];
  const enqueue = (ids: readonly string[]): void => {
    const fresh = ids.filter((id) => !seen.has(id));
    for (const id of fresh) seen.add(id);
    for (const row of storage.events.getMany(fresh)) {
      if (row.roomId !== roomId || row.outlier || row.rejectedReason !== null || row.depth < minDepth) continue;
      queue.push(row);
    }
    queue.sort((a, b) => a.depth - b.depth || a.streamOrdering - b.streamOrdering);
  };
  const walkFrom = (ids: readonly string[]): void => {
    const prevs = storage.federationReads.prevEvents(ids);
    enqueue(ids.flatMap((id) => prevs.get(id) ?? []));
  };

  if (options.includeStart) enqueue(start);
  else {
    for (const id of start) seen.add(id);
    walkFrom(start);
  }
  while (queue.length > 0 && found.length < limit) {
    const row = queue.pop()!;
    found.push(row);
    walkFrom([row.eventId]);
  }
  return found;
}
