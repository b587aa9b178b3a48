import { stateTupleKey, type StateMap } from '../../../core/events/room-event.js';
import type { JsonValue } from '../../../core/json.js';
import type { Storage } from '../../../storage/storage.js';
import type { Logger } from '../../logger.js';
import type { RoomServices } from '../../rooms/index.js';
import type { AuthFetcher } from './fetch-auth.js';
import type { FetchBudget } from './fetch-budget.js';
import type { OutlierHandler } from './handle-outlier-pdu.js';
import { PduDroppedError, type IncomingPdu } from './incoming-pdu.js';
import { parseIncomingPdu } from './parse-incoming-pdu.js';
import type { RemoteEvents } from './remote-events.js';
import type { TimelineWriter } from './upgrade-outlier-pdu.js';
import type { PduVerifier } from './verify-pdu.js';

/**
 * The state before an event whose prev events we still lack after get_missing_events
 * (conduwuit's state_at_incoming, Synapse's _compute_event_context_with_maybe_missing_prevs).
 * For each missing prev event the sender's /state_ids at it gives the state before it; the state
 * events and auth chain we do not have are fetched (one by one when few, else with one /state
 * request) and stored as outliers.
 *
 * A prev event we do not have at all is then fetched and persisted as a timeline event of its
 * own, with that state as its state before (checked like any event: auth events, state before,
 * current state). It is then part of the DAG, visible if accepted, and the incoming event's
 * state follows from its prev events as usual. Only a prev event we hold as an outlier (or one
 * that could not be persisted) is folded in by hand: the state after it is the state before it
 * plus itself, and the states after all prev events are resolved.
 */

/** More missing prev events than this and we give up on the event (each costs a /state_ids). */
const MAX_MISSING_PREVS = 5;
/** Up to this many missing state or auth events are fetched one by one; more, with one /state. */
const FETCH_ONE_BY_ONE_MAX = 10;

export class StateAtIncoming {
  constructor(
    private readonly storage: Storage,
    private readonly rooms: RoomServices,
    private readonly remote: RemoteEvents,
    private readonly outliers: OutlierHandler,
    private readonly verifier: PduVerifier,
    private readonly auths: AuthFetcher,
    private readonly writer: TimelineWriter,
    private readonly log: Logger,
  ) {}

  /**
   * The resolved state before `p`, or undefined when its prev events are all in the DAG now (the
   * persister then works the state out itself). Throws PduDroppedError when the sender cannot
   * tell us.
   */
  async stateBefore(origin: string, p: IncomingPdu, missingPrevs: readonly string[], budget: FetchBudget): Promise<StateMap | undefined> {
    if (missingPrevs.length > MAX_MISSING_PREVS) throw new PduDroppedError(`Too many unknown prev events (${missingPrevs.length})`);
    const byHand = new Map<string, StateMap>();
    for (const prev of missingPrevs) {
      const before = await this.remoteStateBefore(origin, p.roomId, prev, budget);
      if (!this.storage.events.has(prev) && (await this.persistPrev(origin, p, prev, before, budget))) continue;
      byHand.set(prev, this.withEvent(before, p.roomId, prev));
    }
    if (byHand.size === 0) return undefined;

    const states: StateMap[] = [];
    for (const prev of new Set(p.event.prev_events)) {
      const known = byHand.get(prev);
      if (known) states.push(known);
      else states.push(this.rooms.state.stateMapOfGroup(this.storage.events.get(prev)!.stateGroup));
    }
    if (states.length === 1) return states[0]!;
    try {
      return this.rooms.state.resolveMaps(p.version, states);
    } catch (err) {
      this.log.warn({ err, eventId: p.eventId }, 'resolving the state before an incoming event failed');
      throw new PduDroppedError('Could not resolve the state before the event');
    }
  }

  /** Fetches the prev event and persists it into the timeline with `before` as its state; true if it is in now. */
  private async persistPrev(origin: string, p: IncomingPdu, prev: string, before: StateMap, budget: FetchBudget): Promise<boolean> {
    const raw = await this.remote.event(origin, prev, budget);
    if (raw === undefined) return false;
    try {
      const parsed = parseIncomingPdu(raw, (id) => this.rooms.loader.versionOf(id), p.roomId);
      if (parsed.eventId !== prev) throw new PduDroppedError(`Asked for ${prev}, got ${parsed.eventId}`);
      const q = await this.verifier.verify(parsed);
      const missingAuth = await this.auths.fetchMissing(origin, q, budget);
      if (missingAuth.length > 0) throw new PduDroppedError(`Could not obtain auth events ${missingAuth.join(', ')}`);
      const result = this.writer.persist(q, before);
      if (result.error !== undefined) this.log.debug({ origin, eventId: prev, error: result.error }, 'prev event not accepted');
      return this.storage.events.get(prev)?.outlier === false;
    } catch (err) {
      if (!(err instanceof PduDroppedError)) throw err;
      this.log.debug({ origin, eventId: prev, reason: err.message }, 'prev event dropped');
      return false;
    }
  }

  /** The state before `eventId` as the sender has it, with what we lacked of it stored as outliers. */
  private async remoteStateBefore(origin: string, roomId: string, eventId: string, budget: FetchBudget): Promise<StateMap> {
    const ids = await this.remote.stateIds(origin, roomId, eventId, budget);
    if (!ids) throw new PduDroppedError(`Could not get the state at prev event ${eventId} from ${origin}`);

    const wanted = [...new Set([...ids.pduIds, ...ids.authChainIds])].filter((id) => !this.storage.events.has(id));
    if (wanted.length > FETCH_ONE_BY_ONE_MAX) {
      const state = await this.remote.state(origin, roomId, eventId, budget);
      if (!state) throw new PduDroppedError(`Could not get the state at prev event ${eventId} from ${origin}`);
      await this.outliers.persistOutliers(roomId, [...state.authChain, ...state.pdus], new Set(wanted));
    } else if (wanted.length > 0) {
      const fetched: JsonValue[] = [];
      for (const id of wanted) {
        const raw = await this.remote.event(origin, id, budget);
        if (raw !== undefined) fetched.push(raw);
      }
      await this.outliers.persistOutliers(roomId, fetched, new Set(wanted));
    }

    const state: StateMap = new Map();
    let hasCreate = false;
    for (const id of ids.pduIds) {
      const loaded = this.rooms.loader.load(id);
      if (!loaded || loaded.rejected || loaded.event.room_id !== roomId || loaded.event.state_key === undefined) continue;
      state.set(stateTupleKey(loaded.event.type, loaded.event.state_key), id);
      if (loaded.event.type === 'm.room.create') hasCreate = true;
    }
    if (!hasCreate) throw new PduDroppedError(`The state at prev event ${eventId} from ${origin} has no create event`);
    return state;
  }

  /** The state after `eventId`: the state before it plus itself, if it is an accepted state event we hold. */
  private withEvent(before: StateMap, roomId: string, eventId: string): StateMap {
    const loaded = this.rooms.loader.load(eventId);
    if (!loaded || loaded.rejected || loaded.event.room_id !== roomId || loaded.event.state_key === undefined) return before;
    const after = new Map(before);
    after.set(stateTupleKey(loaded.event.type, loaded.event.state_key), eventId);
    return after;
  }
}
