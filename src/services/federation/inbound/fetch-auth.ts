import { createEventIdOf } from '../../../core/state-res/graph.js';
import type { JsonValue } from '../../../core/json.js';
import type { Storage } from '../../../storage/storage.js';
import type { FetchBudget } from './fetch-budget.js';
import type { OutlierHandler } from './handle-outlier-pdu.js';
import type { IncomingPdu } from './incoming-pdu.js';
import type { RemoteEvents } from './remote-events.js';

/**
 * Fetching an event's unknown auth events (conduwuit's fetch_auth; the spec's "if the auth
 * events are not known, fetch them"): first the whole auth chain in one request
 * (GET /event_auth), then whatever is still missing one by one (GET /event), following the auth
 * events of those too, a few levels deep. Everything fetched is stored as an outlier, and only
 * if it belongs to the same room: an auth event of another room is never fetched into this one,
 * so the event that names it stays unauthorisable and is dropped.
 */

/** Levels of "the auth events of the auth events" fetched one by one after /event_auth. */
const MAX_AUTH_DEPTH = 4;
/** Events fetched one by one per event (auth_events holds at most 10, each level adds a few). */
const MAX_SINGLE_FETCHES = 20;

export class AuthFetcher {
  constructor(
    private readonly storage: Storage,
    private readonly remote: RemoteEvents,
    private readonly outliers: OutlierHandler,
  ) {}

  /** The auth events the event needs that we do not have (v12: including the unlisted create event). */
  missingAuthEvents(p: IncomingPdu): string[] {
    const ids = new Set(p.event.auth_events);
    if (p.version.roomIdFromCreateEvent) {
      const createId = createEventIdOf(p.roomId);
      if (createId !== undefined) ids.add(createId);
    }
    return [...ids].filter((id) => !this.storage.events.has(id));
  }

  /** Fetches and stores the missing auth events it can; returns those still missing. */
  async fetchMissing(origin: string, p: IncomingPdu, budget: FetchBudget): Promise<string[]> {
    let missing = this.missingAuthEvents(p);
    if (missing.length === 0) return [];

    const chain = await this.remote.eventAuth(origin, p.roomId, p.eventId, budget);
    if (chain.length > 0) await this.outliers.persistOutliers(p.roomId, chain);
    missing = this.missingAuthEvents(p);

    if (missing.length > 0) await this.fetchLevels(origin, p.roomId, missing, budget, MAX_AUTH_DEPTH, MAX_SINGLE_FETCHES);
    return this.missingAuthEvents(p);
  }

  /** Fetches `ids` and, first, their unknown auth events (depth-first, bounded); returns the fetch count. */
  private async fetchLevels(origin: string, roomId: string, ids: readonly string[], budget: FetchBudget, depth: number, allowance: number): Promise<number> {
    if (depth <= 0 || allowance <= 0) return 0;
    let used = 0;
    const fetched: JsonValue[] = [];
    const asked = new Set<string>();
    for (const id of ids) {
      if (used >= allowance || budget.exhausted) break;
      if (this.storage.events.has(id)) continue;
      used++;
      asked.add(id);
      const raw = await this.remote.event(origin, id, budget);
      if (raw !== undefined) fetched.push(raw);
    }
    if (fetched.length === 0) return used;
    const below = new Set<string>();
    for (const raw of fetched) for (const id of authEventsOfRaw(raw)) if (!this.storage.events.has(id) && !asked.has(id)) below.add(id);
    if (below.size > 0) used += await this.fetchLevels(origin, roomId, [...below], budget, depth - 1, allowance - used);
    await this.outliers.persistOutliers(roomId, fetched, asked);
    return used;
  }
}

/** The auth event IDs an untrusted PDU names (v1/v2 pairs or plain IDs), for deciding what to fetch next. */
function authEventsOfRaw(raw: JsonValue): string[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  const refs = raw['auth_events'];
  if (!Array.isArray(refs)) return [];
  const out: string[] = [];
  for (const ref of refs.slice(0, 10)) {
    if (typeof ref === 'string') out.push(ref);
    else if (Array.isArray(ref) && typeof ref[0] === 'string') out.push(ref[0]);
  }
  return out;
}
