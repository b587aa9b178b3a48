import { canonicalJson } from '../../core/canonical-json.js';
import { checkAuthEventsList, checkAuthRules, type AuthResult, type AuthStateLookup } from '../../core/auth/index.js';
import { createEventIdOf } from '../../core/state-res/graph.js';
import type { Pdu } from '../../core/events/pdu.js';
import { stateTupleKey, type RoomEvent, type StateMap, type StateTupleKey } from '../../core/events/room-event.js';
import type { RoomVersion } from '../../core/room-versions.js';
import type { RoomRecord } from '../../storage/rooms-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { Notifier } from '../notifier.js';
import type { CurrentStateWriter } from './current-state.js';
import type { EventLoader, LoadedEvent } from './event-loader.js';
import { redactionApplies } from './redaction-rules.js';
import { indexRelation } from './relations-index.js';
import { indexForSearch } from './search-index.js';
import type { StateGroupWriter } from './state-groups.js';
import type { StateReader } from './state-reader.js';

/**
 * The one way events enter the DAG, local or remote ("Checks performed on receipt of a PDU",
 * steps 4-6; format, signature and hash checks come before, from the caller):
 *
 *   1. the event's auth_events: the selection rules, none rejected, and the auth rules against them
 *      (failure: rejected);
 *   2. the state before the event: the state after its prev event, or the resolution of the
 *      states after its prev events where the DAG forks (or a state the caller supplies, when the
 *      prev events are not known, e.g. the first event after a remote join); the auth rules
 *      against it (failure: rejected);
 *   3. the current state: the auth rules against it (failure: soft-failed — kept in the DAG, never
 *      shown to clients, not built upon).
 *
 * Everything for one event happens in ONE SQLite transaction: the event row (which assigns its
 * stream ordering), edges, its state group, forward extremities, current state with
 * membership, redactions. Notification happens after the commit (`announce`).
 *
 * Rejected events are stored (so they are not fetched again) but reach no client and no state.
 */

export interface PersistInput {
  /** Validated (validatePdu) and, for remote events, with signatures and hashes verified. */
  readonly pdu: Pdu;
  /** toRoomEvent(pdu): carries the event ID and the room ID. */
  readonly event: RoomEvent;
  readonly version: RoomVersion;
  /** canonicalJson(pdu), when the caller already has it (saves serialising twice). */
  readonly json?: string;
  /** Local events: the sending device and its transaction ID (echoed to that device). */
  readonly local?: { readonly deviceId: string | null; readonly txnId: string | null };
  /**
   * The state before the event, when the caller resolved it because the prev events are not in
   * the DAG (a remote join's state, a gap). Otherwise it is computed from the prev events,
   * which must then all be stored and not outliers.
   */
  readonly stateBefore?: StateMap;
  /** Store as an outlier: checked against its auth events only; no state, not in the timeline. */
  readonly outlier?: boolean;
  /**
   * History fetched with /backfill, older than everything the room's timeline holds: it gets a
   * negative stream ordering (below every sync token, so no /sync reports it as new), is not
   * soft-failed against the current state, and leaves the extremities and current state alone.
   */
  readonly backfilled?: boolean;
}

export type PersistStatus = 'accepted' | 'soft_failed' | 'rejected' | 'outlier' | 'duplicate';

export interface PersistOutcome {
  readonly status: PersistStatus;
  readonly eventId: string;
  readonly roomId: string;
  /** Position in the events stream (the existing one for duplicates). */
  readonly streamOrdering: number;
  readonly rejectedReason?: string;
  /** The user whose membership this event changed (m.room.member), for notification. */
  readonly memberUserId?: string;
  /** For `announce`: the parsed event, cached only once the transaction has committed. */
  readonly loaded?: LoadedEvent;
}

/** Events the caller must fetch (and persist) before this one can be. */
export class MissingEventsError extends Error {
  override name = 'MissingEventsError';
  constructor(
    readonly kind: 'prev' | 'auth',
    readonly eventIds: readonly string[],
  ) {
    super(`missing ${kind} events: ${eventIds.join(', ')}`);
  }
}

/** Told of every event accepted into a room, after its commit (federation sends ours on). */
export type AcceptedListener = (outcome: PersistOutcome) => void;

/** Told of each event accepted into the timeline (not backfilled), inside its transaction (push counts). */
export type TimelineHook = (event: RoomEvent, version: RoomVersion, streamOrdering: number) => void;

export class EventPersister {
  private readonly acceptedListeners: AcceptedListener[] = [];
  private readonly timelineHooks: TimelineHook[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly events: EventLoader,
    private readonly state: StateReader,
    private readonly groups: StateGroupWriter,
    private readonly current: CurrentStateWriter,
    private readonly notifier: Notifier,
  ) {}

  /** Persists one event in its own transaction and notifies. The entry point for federation. */
  persist(input: PersistInput): PersistOutcome {
    const outcome = this.events.inTransaction(() => this.storage.transaction(() => this.write(input)));
    this.announce(outcome);
    return outcome;
  }

  /**
   * The transactional part, for callers that group several events (room creation) or must roll
   * back on rejection (local events): call inside storage.transaction, then `announce` each
   * outcome after the commit.
   */
  write(input: PersistInput): PersistOutcome {
    const { pdu, event, version } = input;
    const eventId = event.event_id;
    const roomId = event.room_id;

    const existing = this.storage.events.get(eventId);
    if (existing) {
      // An event first stored as an outlier (fetched as an auth or state event) that now arrives as
      // part of the timeline is promoted: checked and stored again as a timeline event. If its prev
      // events are missing, MissingEventsError rolls the transaction (and this delete) back.
      const promote = existing.outlier && !input.outlier && existing.rejectedReason === null && existing.roomId === roomId;
      if (!promote) return { status: 'duplicate', eventId, roomId, streamOrdering: existing.streamOrdering };
      this.storage.events.deleteOutlier(eventId);
    }

    const room = this.ensureRoom(event, version);

    // 1. Against the auth events.
    let verdict = this.checkAgainstAuthEvents(event, version);

    if (input.outlier) {
      const streamOrdering = this.insert(input, verdict, false, null, null);
      const loaded: LoadedEvent = { pdu, event, version, rejected: !verdict.allowed };
      return verdict.allowed
        ? { status: 'outlier', eventId, roomId, streamOrdering, loaded }
        : { status: 'rejected', eventId, roomId, streamOrdering, rejectedReason: verdict.reason, loaded };
    }

    // 2. Against the state before it.
    const before = this.stateBefore(input, room.currentStateGroup);
    if (verdict.allowed) verdict = checkAuthRules(version, event, before.lookup);

    // 3. Against the current state (soft fail), unless that is the state before.
    let softFailed = false;
    if (verdict.allowed && !input.backfilled && before.group !== room.currentStateGroup && room.currentStateGroup !== null) {
      softFailed = !checkAuthRules(version, event, this.state.currentLookup(roomId)).allowed;
    }

    const isState = event.state_key !== undefined;
    const replaces = isState ? before.lookup(event.type, event.state_key!)?.event_id ?? null : null;
    let afterGroup = before.group;
    if (verdict.allowed && isState) afterGroup = this.groups.addKey(roomId, eventId, before.group, event.type, event.state_key!);

    const streamOrdering = this.insert(input, verdict, softFailed, afterGroup, replaces);
    const loaded: LoadedEvent = { pdu, event, version, rejected: !verdict.allowed };
    if (!verdict.allowed) {
      return { status: 'rejected', eventId, roomId, streamOrdering, rejectedReason: verdict.reason, loaded };
    }
    const memberUserId = event.type === 'm.room.member' ? event.state_key : undefined;
    const result = { eventId, roomId, streamOrdering, loaded, ...(memberUserId !== undefined ? { memberUserId } : {}) };
    if (softFailed) return { ...result, status: 'soft_failed' };

    if (!input.backfilled) this.current.advance(event, version, afterGroup!, before.group === room.currentStateGroup, Boolean(input.local));
    if (memberUserId !== undefined) this.recordMembership(event, streamOrdering);
    indexRelation(this.storage, event, streamOrdering);
    indexForSearch(this.storage, event, streamOrdering);
    this.applyRedactions(event, version, Boolean(input.local));
    if (!input.backfilled) for (const hook of this.timelineHooks) hook(event, version, streamOrdering);
    return { ...result, status: 'accepted' };
  }

  /**
   * A membership event for one of our users in a room this server is not in: an invite (or a
   * knock's or rejection's outcome) received over federation. There is no state to check it
   * against, so the caller must have verified its signatures (and, for an invite, that it was
   * addressed to our user). It is stored as an outlier and becomes that user's current
   * membership, so sync shows the invite and leave/join know of it; joining later replaces it
   * with the room's real state.
   */
  persistOutOfRoomMembership(input: Pick<PersistInput, 'pdu' | 'event' | 'version'>): PersistOutcome {
    const { pdu, event, version } = input;
    if (event.type !== 'm.room.member' || event.state_key === undefined) throw new Error('not a membership event');
    const membership = typeof event.content.membership === 'string' ? event.content.membership : 'leave';
    const outcome = this.events.inTransaction(() =>
      this.storage.transaction((): PersistOutcome => {
        const existing = this.storage.events.get(event.event_id);
        if (existing) return { status: 'duplicate', eventId: event.event_id, roomId: event.room_id, streamOrdering: existing.streamOrdering };
        const room = this.ensureRoom(event, version);
        const streamOrdering = this.insert({ ...input, outlier: true }, { allowed: true }, false, null, null);
        // A room we do take part in keeps its state; the event is then only an outlier.
        if (room.currentStateGroup !== null) return { status: 'outlier', eventId: event.event_id, roomId: event.room_id, streamOrdering };
        this.storage.state.setCurrent(event.room_id, 'm.room.member', event.state_key!, event.event_id, membership);
        this.recordMembership(event, streamOrdering);
        return {
          status: 'accepted',
          eventId: event.event_id,
          roomId: event.room_id,
          streamOrdering,
          memberUserId: event.state_key!,
          loaded: { pdu, event, version, rejected: false },
        };
      }),
    );
    this.announce(outcome);
    return outcome;
  }

  /** After the commit: caches the event and wakes whoever waits on the room (or the member). */
  announce(outcome: PersistOutcome): void {
    if (outcome.loaded) this.events.remember(outcome.eventId, outcome.loaded);
    if (outcome.status !== 'accepted') return;
    this.notifier.notify({
      roomId: outcome.roomId,
      ...(outcome.memberUserId !== undefined ? { userIds: [outcome.memberUserId] } : {}),
      stream: 'events',
      position: outcome.streamOrdering,
    });
    for (const listener of this.acceptedListeners) listener(outcome);
  }

  /** Subscribes to accepted events (called from `announce`, after the commit). */
  onAccepted(listener: AcceptedListener): void {
    this.acceptedListeners.push(listener);
  }

  /** Registers a hook run in the transaction of each event accepted into the timeline. */
  onTimelineEvent(hook: TimelineHook): void {
    this.timelineHooks.push(hook);
  }

  /** The room's record, created with the first event we hear of it (its create event, or a join's). */
  private ensureRoom(event: RoomEvent, version: RoomVersion): RoomRecord {
    const room = this.storage.rooms.get(event.room_id);
    if (room) {
      if (room.roomVersion !== version.id) throw new Error(`room ${event.room_id} is version ${room.roomVersion}, not ${version.id}`);
      return room;
    }
    let creator: string | null = null;
    if (event.type === 'm.room.create') {
      const declared = event.content.creator;
      creator = version.creatorIsSender ? event.sender : typeof declared === 'string' ? declared : null;
    }
    this.storage.rooms.insert({ roomId: event.room_id, roomVersion: version.id, creator, createdTs: event.origin_server_ts });
    this.events.rememberVersion(event.room_id, version);
    return this.storage.rooms.get(event.room_id)!;
  }

  private checkAgainstAuthEvents(event: RoomEvent, version: RoomVersion): AuthResult {
    if (event.type === 'm.room.create') return checkAuthRules(version, event, () => undefined);
    const ids = [...event.auth_events];
    // v12: the create event is every event's auth event without being listed.
    if (version.roomIdFromCreateEvent) {
      const createId = createEventIdOf(event.room_id);
      if (createId !== undefined && !ids.includes(createId)) ids.push(createId);
    }
    const authEvents: RoomEvent[] = [];
    const missing: string[] = [];
    const byKey = new Map<StateTupleKey, RoomEvent>();
    for (const id of ids) {
      const loaded = this.events.load(id);
      if (!loaded) {
        missing.push(id);
        continue;
      }
      if (loaded.rejected) return { allowed: false, reason: `auth event ${id} was rejected` };
      if (event.auth_events.includes(id)) authEvents.push(loaded.event);
      if (loaded.event.state_key !== undefined) byKey.set(stateTupleKey(loaded.event.type, loaded.event.state_key), loaded.event);
    }
    if (missing.length > 0) throw new MissingEventsError('auth', missing);
    const listed = checkAuthEventsList(version, event, authEvents);
    if (!listed.allowed) return listed;
    return checkAuthRules(version, event, (type, stateKey) => byKey.get(stateTupleKey(type, stateKey)));
  }

  /** The state group before the event (null: empty, before a create event) and its lookup. */
  private stateBefore(input: PersistInput, currentGroup: number | null): { group: number | null; lookup: AuthStateLookup } {
    const { event, version } = input;
    const roomId = event.room_id;
    if (input.stateBefore) {
      const group = this.groups.write(roomId, null, input.stateBefore, null);
      return { group, lookup: this.state.groupLookup(group) };
    }
    if (event.prev_events.length === 0) return { group: null, lookup: () => undefined };

    const prevs = this.storage.events.getMany(event.prev_events);
    const known = new Set(prevs.filter((p) => !p.outlier).map((p) => p.eventId));
    const missing = event.prev_events.filter((id) => !known.has(id));
    if (missing.length > 0) throw new MissingEventsError('prev', missing);

    const groups = [...new Set(prevs.map((p) => p.stateGroup))];
    let group: number | null;
    if (groups.length === 1) group = groups[0]!;
    else if (currentGroup !== null && this.sameAsExtremities(roomId, event.prev_events)) group = currentGroup;
    else {
      const resolved = this.state.resolveGroups(version, groups);
      group = this.groups.write(roomId, null, resolved, groups[0] ?? null);
    }
    // Built on the current state (every local event): one indexed row per look-up instead of a
    // walk of the group's delta chain.
    const lookup = group !== null && group === currentGroup ? this.state.currentLookup(roomId) : this.state.groupLookup(group);
    return { group, lookup };
  }

  private sameAsExtremities(roomId: string, prevEvents: readonly string[]): boolean {
    const extremities = this.storage.events.forwardExtremities(roomId);
    if (extremities.length !== new Set(prevEvents).size) return false;
    return extremities.every((x) => prevEvents.includes(x.eventId));
  }

  private insert(
    input: PersistInput,
    verdict: AuthResult,
    softFailed: boolean,
    stateGroup: number | null,
    replacesState: string | null,
  ): number {
    const { event, pdu } = input;
    const rejectedReason = verdict.allowed ? null : verdict.reason;
    const streamOrdering = this.storage.events.insert({
      eventId: event.event_id,
      roomId: event.room_id,
      type: event.type,
      stateKey: event.state_key ?? null,
      sender: event.sender,
      originServerTs: event.origin_server_ts,
      depth: event.depth,
      json: input.json ?? canonicalJson(pdu, { strict: input.version.strictCanonicalJson }),
      outlier: Boolean(input.outlier),
      rejectedReason,
      softFailed,
      stateGroup,
      senderDeviceId: input.local?.deviceId ?? null,
      txnId: input.local?.txnId ?? null,
      replacesState,
      ...(input.backfilled ? { streamOrdering: Math.min(0, this.storage.events.minStreamOrdering()) - 1 } : {}),
    });
    this.storage.events.insertEdges(event.event_id, event.prev_events, event.auth_events);
    return streamOrdering;
  }

  private recordMembership(event: RoomEvent, streamOrdering: number): void {
    const { content } = event;
    const membership = typeof content.membership === 'string' ? content.membership : 'leave';
    this.storage.memberships.insert({
      eventId: event.event_id,
      roomId: event.room_id,
      userId: event.state_key!,
      sender: event.sender,
      membership,
      streamOrdering,
      displayname: typeof content.displayname === 'string' ? content.displayname : null,
      avatarUrl: typeof content.avatar_url === 'string' ? content.avatar_url : null,
    });
    // Joining again un-forgets the room.
    if (membership === 'join') this.storage.memberships.unforget(event.state_key!, event.room_id);
  }

  /**
   * A redaction applies to its target once both are here and it is allowed ("Handling
   * redactions"): redactions arriving first wait in the redactions table for their target.
   */
  private applyRedactions(event: RoomEvent, version: RoomVersion, local: boolean): void {
    if (event.type === 'm.room.redaction' && event.redacts !== undefined) {
      this.storage.events.insertRedaction(event.event_id, event.redacts);
      const target = this.events.roomEvent(event.redacts);
      if (target && redactionApplies(version, event, target, this.state.currentLookup(event.room_id))) {
        this.storage.events.setRedactedBy(target.event_id, event.event_id);
        // Redacted content declares no relation any more, and holds no searchable text.
        this.storage.relations.remove(target.event_id);
        this.storage.search.remove(target.event_id);
      }
    }
    // Locally created events have fresh IDs nothing can have redacted yet.
    if (local) return;
    for (const redactionId of this.storage.events.redactionsOf(event.event_id)) {
      const redaction = this.events.acceptedRoomEvent(redactionId);
      if (redaction && redactionApplies(version, redaction, event, this.state.currentLookup(event.room_id))) {
        this.storage.events.setRedactedBy(event.event_id, redactionId);
        this.storage.relations.remove(event.event_id);
        this.storage.search.remove(event.event_id);
        break;
      }
    }
  }
}
