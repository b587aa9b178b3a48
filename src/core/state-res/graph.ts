import type { RoomEvent } from '../events/room-event.js';
import type { RoomVersion } from '../room-versions.js';

/** Looks an event up by ID; `undefined` when the caller does not have it. */
export type EventSource = (eventId: string) => RoomEvent | undefined;

export interface StateResOptions {
  /**
   * Events rejected on receipt (failed auth against their auth chain or the state before them).
   * They are never used as auth events during the iterative auth checks and never admitted into
   * the resolved state by them.
   */
  readonly isRejected?: (eventId: string) => boolean;
}

const NO_REJECTIONS = (): boolean => false;

/**
 * The auth-event graph as state resolution sees it: memoised event look-ups and "effective"
 * auth-event lists. One instance can serve many resolutions over the same events (the DAG
 * walker shares one across every merge), so each event's auth list is worked out once.
 */
export class AuthGraph {
  readonly isRejected: (eventId: string) => boolean;
  private readonly cache = new Map<string, RoomEvent | null>();
  private readonly authCache = new Map<string, readonly string[]>();

  constructor(
    readonly version: RoomVersion,
    private readonly source: EventSource,
    options: StateResOptions = {},
  ) {
    this.isRejected = options.isRejected ?? NO_REJECTIONS;
  }

  event(eventId: string): RoomEvent | undefined {
    let cached = this.cache.get(eventId);
    if (cached === undefined) {
      cached = this.source(eventId) ?? null;
      this.cache.set(eventId, cached);
    }
    return cached ?? undefined;
  }

  /**
   * The event's auth events as the algorithm uses them. From v12 the create event is never
   * listed in `auth_events` (the room ID names it), yet it is still part of every event's auth
   * chain and is what the creator's power comes from; Synapse and ruma both add it back
   * implicitly, and so do we, so auth chains, sender power and auth look-ups see it.
   * Unknown events: the list of IDs is empty (nothing to follow).
   */
  authEvents(eventId: string): readonly string[] {
    let ids = this.authCache.get(eventId);
    if (ids !== undefined) return ids;
    const event = this.event(eventId);
    if (event === undefined) ids = [];
    else if (this.version.roomIdFromCreateEvent && !(event.type === 'm.room.create' && event.state_key === '')) {
      const createId = createEventIdOf(event.room_id);
      ids = createId === undefined || event.auth_events.includes(createId)
        ? event.auth_events
        : [...event.auth_events, createId];
    } else ids = event.auth_events;
    this.authCache.set(eventId, ids);
    return ids;
  }

  /** The first auth event of `eventId` with the given type and empty state key. */
  authEventOfType(eventId: string, type: string): RoomEvent | undefined {
    for (const id of this.authEvents(eventId)) {
      const auth = this.event(id);
      if (auth !== undefined && auth.type === type && auth.state_key === '') return auth;
    }
    return undefined;
  }
}

/** v12: `!abc` names the create event `$abc`. */
export function createEventIdOf(roomId: string): string | undefined {
  return roomId.startsWith('!') && roomId.length > 1 ? '$' + roomId.slice(1) : undefined;
}

/** An EventSource over an in-memory list (tests, fixtures, tooling). */
export function eventSourceOf(events: Iterable<RoomEvent>): EventSource {
  const byId = new Map<string, RoomEvent>();
  for (const event of events) byId.set(event.event_id, event);
  return (id) => byId.get(id);
}
