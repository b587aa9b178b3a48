import { stateTupleKey, type StateMap } from '../../../core/events/room-event.js';
import type { JsonValue } from '../../../core/json.js';
import type { Storage } from '../../../storage/storage.js';
import type { Logger } from '../../logger.js';
import type { RoomServices } from '../../rooms/index.js';
import type { FetchBudget } from './fetch-budget.js';
import type { OutlierHandler } from './handle-outlier-pdu.js';
import { PduDroppedError, type IncomingPdu } from './incoming-pdu.js';
import type { RemoteEvents } from './remote-events.js';

/**
 * The state before an event whose prev events we still lack after get_missing_events
 * (conduwuit's state_at_incoming, Synapse's _compute_event_context_with_maybe_missing_prevs):
 * for each missing prev event, the sender's /state_ids at it gives the state before it; the
 * state events and auth chain we do not have are fetched (one by one when few, else with one
 * /state request) and stored as outliers; the prev event itself is added if it is a state
 * event. The states after all prev events, ours for the known ones, are then resolved with the
 * room version's algorithm. The event is persisted with that as its state before; its auth is
 * still checked against it, and against the current state for soft failure.
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
    private readonly log: Logger,
  ) {}

  /** The resolved state before `p`; throws PduDroppedError when the sender cannot tell us. */
  async stateBefore(origin: string, p: IncomingPdu, missingPrevs: readonly string[], budget: FetchBudget): Promise<StateMap> {
    if (missingPrevs.length > MAX_MISSING_PREVS) throw new PduDroppedError(`Too many unknown prev events (${missingPrevs.length})`);
    const missing = new Set(missingPrevs);
    const states: StateMap[] = [];
    for (const prev of new Set(p.event.prev_events)) {
      if (missing.has(prev)) {
        states.push(await this.stateAfterRemote(origin, p, prev, budget));
      } else {
        const row = this.storage.events.get(prev)!;
        states.push(this.rooms.state.stateMapOfGroup(row.stateGroup));
      }
    }
    if (states.length === 1) return states[0]!;
    try {
      return this.rooms.state.resolveMaps(p.version, states);
    } catch (err) {
      this.log.warn({ err, eventId: p.eventId }, 'resolving the state before an incoming event failed');
      throw new PduDroppedError('Could not resolve the state before the event');
    }
  }

  /** The state after `prev` (an event we lack or hold only as an outlier), from the sender. */
  private async stateAfterRemote(origin: string, p: IncomingPdu, prev: string, budget: FetchBudget): Promise<StateMap> {
    const roomId = p.roomId;
    const ids = await this.remote.stateIds(origin, roomId, prev, budget);
    if (!ids) throw new PduDroppedError(`Could not get the state at prev event ${prev} from ${origin}`);

    const wanted = [...new Set([...ids.pduIds, ...ids.authChainIds])].filter((id) => !this.storage.events.has(id));
    if (wanted.length > FETCH_ONE_BY_ONE_MAX) {
      const state = await this.remote.state(origin, roomId, prev, budget);
      if (!state) throw new PduDroppedError(`Could not get the state at prev event ${prev} from ${origin}`);
      await this.outliers.persistOutliers(roomId, [...state.authChain, ...state.pdus], new Set(wanted));
    } else if (wanted.length > 0) {
      const fetched: JsonValue[] = [];
      for (const id of wanted) {
        const raw = await this.remote.event(origin, id, budget);
        if (raw !== undefined) fetched.push(raw);
      }
      await this.outliers.persistOutliers(roomId, fetched, new Set(wanted));
    }
    if (!this.storage.events.has(prev)) {
      const raw = await this.remote.event(origin, prev, budget);
      if (raw !== undefined) await this.outliers.persistOutliers(roomId, [raw], new Set([prev]));
    }

    const state: StateMap = new Map();
    let hasCreate = false;
    for (const id of [...ids.pduIds, prev]) {
      const loaded = this.rooms.loader.load(id);
      if (!loaded || loaded.rejected || loaded.event.room_id !== roomId || loaded.event.state_key === undefined) continue;
      state.set(stateTupleKey(loaded.event.type, loaded.event.state_key), id);
      if (loaded.event.type === 'm.room.create') hasCreate = true;
    }
    if (!hasCreate) throw new PduDroppedError(`The state at prev event ${prev} from ${origin} has no create event`);
    return state;
  }
}
