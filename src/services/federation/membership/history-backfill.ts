import { stateTupleKey, type StateMap } from '../../../core/events/room-event.js';
import type { JsonValue } from '../../../core/json.js';
import { isJsonObject } from '../../../core/json.js';
import { MissingEventsError } from '../../rooms/event-persister.js';
import type { AuthFetcher } from '../inbound/fetch-auth.js';
import { FetchBudget } from '../inbound/fetch-budget.js';
import type { OutlierHandler } from '../inbound/handle-outlier-pdu.js';
import type { RemoteEvents } from '../inbound/remote-events.js';
import { describe } from './remote-errors.js';
import type { MembershipContext } from './context.js';
import { checkPdus, type CheckedPdu } from './pdu-checks.js';

/**
 * Backfill for clients paginating past the start of what we hold of a room (a room we joined
 * late has nothing before our join): the events before our earliest ones are fetched with
 * GET /backfill from a server in the room, checked like any PDU (signatures and hashes, auth
 * events fetched when unknown), and persisted oldest first as backfilled history: negative
 * stream orderings, so they never show up in /sync as new, and current state untouched. An event
 * whose prev events we do not hold (the oldest of a batch) is checked against the state before
 * it as its server tells it (/state_ids at the event; the events we lack fetched as outliers),
 * the others against the state the persister works out from their prev events.
 *
 * The /messages endpoint calls `fill` when a backwards page comes back short.
 */

/** Events asked for per /backfill request. */
const DEFAULT_LIMIT = 50;
/** Timeline events examined at the room's start to find what precedes it. */
const FRONTIER_PROBE = 20;
/** Remote requests one fill may cause (auth events, state at the oldest events). */
const REQUESTS_PER_FILL = 60;
/** Up to this many unknown state or auth events are fetched one by one; more, with one /state. */
const FETCH_ONE_BY_ONE_MAX = 10;

export class HistoryBackfill {
  constructor(
    private readonly ctx: MembershipContext,
    private readonly remote: RemoteEvents,
    private readonly outliers: OutlierHandler,
    private readonly auths: AuthFetcher,
  ) {}

  /**
   * Fetches and stores history preceding the room's earliest events; returns how many events
   * the timeline gained (0 when the room's start is already here or no server could help).
   */
  async fill(roomId: string, limit = DEFAULT_LIMIT): Promise<number> {
    const { rooms } = this.ctx;
    const version = rooms.loader.versionOf(roomId);
    if (!version || !rooms.membership.participating(roomId)) return 0;
    const frontier = this.frontier(roomId);
    if (frontier.length === 0) return 0;

    for (const server of this.ctx.roomServers.remote(roomId)) {
      let pdus: JsonValue[];
      try {
        const response = await this.ctx.federation.client.request(server, {
          method: 'GET',
          path: `/_matrix/federation/v1/backfill/${encodeURIComponent(roomId)}`,
          query: { v: frontier, limit: String(limit) },
        });
        pdus = Array.isArray(response.pdus) ? response.pdus.slice(0, limit) : [];
      } catch (err) {
        this.ctx.log.info({ roomId, server, err: describe(err) }, 'backfill request failed; trying the next server');
        continue;
      }
      const { checked } = await checkPdus(this.ctx.verifier, version, pdus.filter(isJsonObject), { onHashMismatch: 'redact' });
      const fresh = checked.filter((p) => p.roomId === roomId && !this.inTimeline(p.eventId));
      if (fresh.length === 0) continue;
      return this.persistOldestFirst(server, fresh);
    }
    return 0;
  }

  /**
   * The events just before the room's start as we hold it: prev events of its earliest timeline
   * events that are not in our timeline (unknown, or known only as outliers from a join's state).
   */
  private frontier(roomId: string): string[] {
    const earliest = this.ctx.storage.timeline.after(roomId, { depth: Number.MIN_SAFE_INTEGER, stream: Number.MIN_SAFE_INTEGER }, FRONTIER_PROBE);
    const missing = new Set<string>();
    for (const row of earliest) {
      const loaded = this.ctx.rooms.loader.load(row.eventId);
      for (const prev of loaded?.event.prev_events ?? []) if (!this.inTimeline(prev)) missing.add(prev);
    }
    return [...missing];
  }

  private inTimeline(eventId: string): boolean {
    const row = this.ctx.storage.events.get(eventId);
    return row !== undefined && !row.outlier;
  }

  private async persistOldestFirst(server: string, events: CheckedPdu[]): Promise<number> {
    const budget = new FetchBudget(REQUESTS_PER_FILL);
    const ordered = [...events].sort((a, b) => a.event.depth - b.event.depth);
    let added = 0;
    for (const p of ordered) {
      if (this.inTimeline(p.eventId)) continue;
      try {
        if ((await this.auths.fetchMissing(server, p, budget)).length > 0) continue;
        let stateBefore: StateMap | undefined;
        if (p.event.prev_events.some((id) => !this.inTimeline(id))) {
          stateBefore = await this.remoteStateBefore(server, p, budget);
          if (!stateBefore) continue;
        }
        const outcome = this.ctx.rooms.persister.persist({
          pdu: p.pdu,
          event: p.event,
          version: p.version,
          backfilled: true,
          ...(stateBefore ? { stateBefore } : {}),
        });
        if (outcome.status === 'accepted') added++;
      } catch (err) {
        // One event we cannot place (its state unknown to the server, a hostile answer) does not
        // stop the others: later ones may still be placed on what we have.
        if (!(err instanceof MissingEventsError)) this.ctx.log.info({ eventId: p.eventId, err: describe(err) }, 'backfilled event left out');
      }
      if (budget.exhausted) break;
    }
    return added;
  }

  /** The state before `p` as `server` has it, its events stored (as outliers) where we lacked them. */
  private async remoteStateBefore(server: string, p: CheckedPdu, budget: FetchBudget): Promise<StateMap | undefined> {
    const { storage, rooms } = this.ctx;
    const ids = await this.remote.stateIds(server, p.roomId, p.eventId, budget);
    if (!ids) return undefined;
    const wanted = [...new Set([...ids.pduIds, ...ids.authChainIds])].filter((id) => !storage.events.has(id));
    if (wanted.length > FETCH_ONE_BY_ONE_MAX) {
      const state = await this.remote.state(server, p.roomId, p.eventId, budget);
      if (!state) return undefined;
      await this.outliers.persistOutliers(p.roomId, [...state.authChain, ...state.pdus], new Set(wanted));
    } else if (wanted.length > 0) {
      const fetched: JsonValue[] = [];
      for (const id of wanted) {
        const raw = await this.remote.event(server, id, budget);
        if (raw !== undefined) fetched.push(raw);
      }
      await this.outliers.persistOutliers(p.roomId, fetched, new Set(wanted));
    }
    const state: StateMap = new Map();
    for (const id of ids.pduIds) {
      const loaded = rooms.loader.load(id);
      if (!loaded || loaded.rejected || loaded.event.room_id !== p.roomId || loaded.event.state_key === undefined) continue;
      state.set(stateTupleKey(loaded.event.type, loaded.event.state_key), id);
    }
    return state.has(stateTupleKey('m.room.create', '')) ? state : undefined;
  }
}
