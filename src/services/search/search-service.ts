import type { JsonObject } from '../../core/json.js';
import type { SearchHit, SearchKey, SearchQuery } from '../../storage/search-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { TimelineEvent } from '../../storage/timeline-repo.js';
import { invalidParam } from '../errors.js';
import type { Requester } from '../requester.js';
import { eventMatches, parseRoomEventFilter } from '../sync/filter.js';
import type { ClientEventSerializer, Viewer } from '../timeline/client-event.js';
import type { RoomStateAt } from '../timeline/room-state.js';
import type { VisibilityChecker } from '../timeline/visibility.js';
import { SearchContexts } from './search-context.js';
import { MAX_TERM_LENGTH, MAX_WORDS, searchWords } from './search-terms.js';
import { decodeBatch, encodeBatch, type BatchGroup, type SearchBatch } from './search-token.js';

/**
 * Server-side search (client-server "Server Side Search"), the room_events category: full-text
 * matches in the rooms the user is joined to, kept only where the RoomEventFilter and history
 * visibility let the user see them, most relevant first (`rank`) or newest first (`recent`,
 * paginated with `next_batch`). Where the spec is silent this follows Synapse: `rank` answers
 * one page without `next_batch`; `count` counts matches before visibility and filters. "Recent"
 * is stream order (arrival here), which unlike origin_server_ts no sender can forge.
 */

export type GroupKey = 'room_id' | 'sender';

export interface RoomEventsCriteria {
  readonly searchTerm: string;
  readonly keys: readonly SearchKey[] | undefined;
  readonly filter: JsonObject | undefined;
  readonly orderBy: 'rank' | 'recent' | undefined;
  readonly eventContext: { readonly beforeLimit?: number; readonly afterLimit?: number; readonly includeProfile?: boolean } | undefined;
  readonly includeState: boolean;
  readonly groupBy: readonly GroupKey[];
}

const ALL_KEYS: readonly SearchKey[] = ['content.body', 'content.name', 'content.topic'];
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;
const DEFAULT_CONTEXT = 5;
const MAX_CONTEXT = 20;
/** Matches looked at per request at most, when visibility or the filter hides most of them. */
const MAX_SCANNED = 1000;
/** `rank` ranks this many best matches (as Synapse caps its query). */
const RANK_CANDIDATES = 500;

interface Found {
  readonly event: TimelineEvent;
  readonly rank: number;
}

type Rules = ReturnType<VisibilityChecker['rulesFor']>;

export class SearchService {
  private readonly contexts: SearchContexts;

  constructor(
    private readonly storage: Storage,
    private readonly serializer: ClientEventSerializer,
    private readonly visibility: VisibilityChecker,
    roomState: RoomStateAt,
  ) {
    this.contexts = new SearchContexts(storage, serializer, roomState);
  }

  /** POST /search. Categories other than room_events are not searched (nor are they by Synapse). */
  search(requester: Requester, criteria: RoomEventsCriteria | undefined, nextBatch: string | undefined): JsonObject {
    const batch = nextBatch === undefined ? undefined : decodeBatch(nextBatch);
    if (!criteria) return { search_categories: {} };
    return { search_categories: { room_events: this.roomEvents(requester, criteria, batch) } };
  }

  private roomEvents(requester: Requester, criteria: RoomEventsCriteria, batch: SearchBatch | undefined): JsonObject {
    if (criteria.searchTerm.length > MAX_TERM_LENGTH) throw invalidParam(`search_term is longer than ${MAX_TERM_LENGTH} characters`);
    const words = searchWords(criteria.searchTerm);
    if (words.length > MAX_WORDS) throw invalidParam(`search_term has more than ${MAX_WORDS} words`);
    const matcher = parseRoomEventFilter(criteria.filter === undefined ? undefined : JSON.stringify(criteria.filter));
    const limit = Math.min(matcher.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
    const group = batch?.group ?? { kind: 'all' };

    const roomIds = this.storage.memberships
      .roomsOfUser(requester.userId, 'join')
      .filter((roomId) => matcher.matchesRoom(roomId) && (group.kind !== 'room_id' || group.key === roomId));
    const query: SearchQuery = {
      words,
      roomIds,
      keys: criteria.keys === undefined ? ALL_KEYS : [...new Set(criteria.keys)],
      sender: group.kind === 'sender' ? group.key : undefined,
    };

    const rules = new Map<string, Rules>();
    const visible = (e: TimelineEvent): boolean => {
      let r = rules.get(e.roomId);
      if (!r) rules.set(e.roomId, (r = this.visibility.rulesFor(requester.userId, e.roomId)));
      return r.allows(e);
    };
    const keep = (e: TimelineEvent): boolean => eventMatches(matcher, e) && visible(e);

    const page = criteria.orderBy === 'recent' ? this.recent(query, batch?.before, limit, keep) : { found: this.ranked(query, limit, keep), before: undefined };
    const viewer: Viewer = { userId: requester.userId, deviceId: requester.deviceId };
    const context = criteria.eventContext;
    const results = page.found.map(({ event, rank }): JsonObject => {
      const result: JsonObject = { rank, result: this.serializer.serialize([event], { viewer })[0]! };
      if (context) {
        const options = {
          beforeLimit: Math.min(context.beforeLimit ?? DEFAULT_CONTEXT, MAX_CONTEXT),
          afterLimit: Math.min(context.afterLimit ?? DEFAULT_CONTEXT, MAX_CONTEXT),
          includeProfile: context.includeProfile === true,
        };
        result['context'] = this.contexts.build(event, visible, options, viewer);
      }
      return result;
    });

    const body: JsonObject = { results, count: this.storage.search.count(query), highlights: words };
    if (criteria.includeState && page.found.length > 0) body['state'] = this.currentState(page.found, viewer);
    const groups = this.groups(page.found, criteria.groupBy, page.before);
    if (Object.keys(groups).length > 0) body['groups'] = groups;
    if (page.before !== undefined) body['next_batch'] = encodeBatch({ group, before: page.before });
    return body;
  }

  /** Newest first below `before`; `before` comes back when more may follow. */
  private recent(query: SearchQuery, from: number | undefined, limit: number, keep: (e: TimelineEvent) => boolean): { found: Found[]; before: number | undefined } {
    const found: Found[] = [];
    let before = from ?? Number.MAX_SAFE_INTEGER;
    let scanned = 0;
    let more = limit > 0;
    while (more && found.length < limit && scanned < MAX_SCANNED) {
      const want = Math.min(Math.max((limit - found.length) * 2, 20), 200);
      const hits = this.storage.search.recent(query, before, want);
      const events = this.storage.timeline.getMany(hits.map((h) => h.eventId));
      more = hits.length === want;
      for (const [i, hit] of hits.entries()) {
        scanned++;
        before = hit.streamOrdering;
        const event = events.get(hit.eventId);
        if (event && keep(event)) found.push({ event, rank: hit.rank });
        if (found.length >= limit) {
          more ||= i < hits.length - 1;
          break;
        }
      }
    }
    return { found, before: more ? before : undefined };
  }

  /** The most relevant visible matches among the best RANK_CANDIDATES. */
  private ranked(query: SearchQuery, limit: number, keep: (e: TimelineEvent) => boolean): Found[] {
    const found: Found[] = [];
    if (limit === 0) return found;
    const hits = this.storage.search.ranked(query, RANK_CANDIDATES);
    for (let i = 0; i < hits.length && found.length < limit; i += 100) {
      const chunk: SearchHit[] = hits.slice(i, i + 100);
      const events = this.storage.timeline.getMany(chunk.map((h) => h.eventId));
      for (const hit of chunk) {
        const event = events.get(hit.eventId);
        if (event && keep(event)) found.push({ event, rank: hit.rank });
        if (found.length >= limit) break;
      }
    }
    return found;
  }

  /** Current state of each room with results (the user is joined to all of them). */
  private currentState(found: readonly Found[], viewer: Viewer): JsonObject {
    const state: JsonObject = {};
    for (const roomId of new Set(found.map((f) => f.event.roomId))) {
      const ids = this.storage.state.currentOfRoom(roomId).map((entry) => entry.eventId);
      state[roomId] = this.serializer.serialize([...this.storage.timeline.getStateEvents(ids).values()], { viewer });
    }
    return state;
  }

  /**
   * The requested groupings: each room or sender with its result IDs, `order` its first
   * appearance in the results, and (while more results may follow) a token paging within it.
   */
  private groups(found: readonly Found[], groupBy: readonly GroupKey[], before: number | undefined): JsonObject {
    const groups: JsonObject = {};
    for (const kind of new Set(groupBy)) {
      const byValue = new Map<string, string[]>();
      for (const { event } of found) {
        const value = kind === 'room_id' ? event.roomId : event.sender;
        const ids = byValue.get(value) ?? [];
        ids.push(event.eventId);
        byValue.set(value, ids);
      }
      const entries: JsonObject = {};
      let order = 0;
      for (const [value, ids] of byValue) {
        const entry: JsonObject = { results: ids, order: ++order };
        const group: BatchGroup = { kind, key: value };
        if (before !== undefined) entry['next_batch'] = encodeBatch({ group, before });
        entries[value] = entry;
      }
      if (byValue.size > 0) groups[kind] = entries;
    }
    return groups;
  }
}
