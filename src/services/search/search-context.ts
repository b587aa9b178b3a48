import { isJsonObject, type JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import type { TimelineEvent, TopoPosition } from '../../storage/timeline-repo.js';
import type { ClientEventSerializer, Viewer } from '../timeline/client-event.js';
import { positionAt, positionBefore, topoToken } from '../timeline/pagination-token.js';
import type { RoomStateAt } from '../timeline/room-state.js';

/**
 * `context` of a search result (search.yaml "Event Context"): the events just before and after
 * it in topological order that the user may see, /messages tokens either side, and optionally
 * the senders' profiles from the member events in force at the last event returned. As with
 * Synapse, the search filter does not apply to context, and events_before is newest first.
 */

export interface ContextOptions {
  readonly beforeLimit: number;
  readonly afterLimit: number;
  readonly includeProfile: boolean;
}

/** Rows read per side at most, when history visibility hides most of them. */
const MAX_SCANNED = 500;
const BATCH = 20;

type Allows = (e: TimelineEvent) => boolean;

export class SearchContexts {
  constructor(
    private readonly storage: Storage,
    private readonly serializer: ClientEventSerializer,
    private readonly roomState: RoomStateAt,
  ) {}

  build(event: TimelineEvent, allows: Allows, options: ContextOptions, viewer: Viewer): JsonObject {
    const before = this.walk(event, 'b', options.beforeLimit, allows);
    const after = this.walk(event, 'f', options.afterLimit, allows);
    const context: JsonObject = {
      start: topoToken(before.cursor),
      end: topoToken(after.cursor),
      events_before: this.serializer.serialize(before.events, { viewer }),
      events_after: this.serializer.serialize(after.events, { viewer }),
    };
    if (options.includeProfile) {
      const senders = new Set([...before.events, event, ...after.events].map((e) => e.sender));
      context['profile_info'] = this.profiles(after.events.at(-1) ?? event, senders);
    }
    return context;
  }

  /** Visible neighbours of `event` in one direction, nearest first, and where the walk stopped. */
  private walk(event: TimelineEvent, dir: 'b' | 'f', limit: number, allows: Allows): { events: TimelineEvent[]; cursor: TopoPosition } {
    const events: TimelineEvent[] = [];
    let cursor = dir === 'b' ? positionBefore(event) : positionAt(event);
    let scanned = 0;
    while (events.length < limit && scanned < MAX_SCANNED) {
      const batch = dir === 'b' ? this.storage.timeline.before(event.roomId, cursor, BATCH) : this.storage.timeline.after(event.roomId, cursor, BATCH);
      for (const e of batch) {
        scanned++;
        cursor = dir === 'b' ? positionBefore(e) : positionAt(e);
        if (allows(e)) events.push(e);
        if (events.length >= limit) break;
      }
      if (batch.length < BATCH) break;
    }
    return { events, cursor };
  }

  /** Display names and avatars from the member events in the state after `at`. */
  private profiles(at: TimelineEvent, senders: ReadonlySet<string>): JsonObject {
    const ids: string[] = [];
    for (const sender of senders) {
      const id = this.roomState.lookupAfter(at, 'm.room.member', sender);
      if (id !== undefined) ids.push(id);
    }
    const out: JsonObject = {};
    for (const member of this.storage.timeline.getStateEvents(ids).values()) {
      if (member.stateKey === null) continue;
      const content: unknown = (JSON.parse(member.json) as { content?: unknown }).content;
      const profile: JsonObject = {};
      // A redacted member event's name and avatar are gone.
      if (member.redactedBy === null && isJsonObject(content)) {
        // The schema has no nulls: an unset name or avatar is left out.
        if (typeof content['displayname'] === 'string') profile['displayname'] = content['displayname'];
        if (typeof content['avatar_url'] === 'string') profile['avatar_url'] = content['avatar_url'];
      }
      out[member.stateKey] = profile;
    }
    return out;
  }
}
