import type { JsonObject } from '../../core/json.js';
import type { RelatedRef, ThreadRef } from '../../storage/relations-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { TimelineEvent, TopoPosition } from '../../storage/timeline-repo.js';
import { forbidden, invalidParam, notFound } from '../errors.js';
import type { Requester } from '../requester.js';
import type { ClientEventSerializer } from './client-event.js';
import { parsePaginationToken, positionAt, positionBefore, topoToken } from './pagination-token.js';
import type { VisibilityChecker } from './visibility.js';

/**
 * Reading relationships (relations.yaml, threads_list.yaml): a parent's children, paginated in
 * topological order like /messages and with the same tokens, and a room's threads by latest
 * activity. Both return only events the requester may see (history visibility), with their
 * bundled aggregations.
 */

export interface RelationsParams {
  readonly relType: string | undefined;
  readonly eventType: string | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly dir: 'b' | 'f';
  readonly limit: number | undefined;
  /** undefined: not asked (then recursion_depth is left out of the answer). */
  readonly recurse: boolean | undefined;
}

export interface ThreadsParams {
  readonly include: 'all' | 'participated';
  readonly from: string | undefined;
  readonly limit: number | undefined;
}

const DEFAULT_RELATIONS_LIMIT = 5;
const DEFAULT_THREADS_LIMIT = 5;
const MAX_LIMIT = 100;
/** Levels of relations followed with recurse=true (the spec asks for at least 3). */
const RECURSION_LEVELS = 3;
/** Rows looked at per request at most when visibility hides most of them. */
const MAX_SCANNED = 2000;

function compare(a: TopoPosition, b: TopoPosition): number {
  return a.depth !== b.depth ? a.depth - b.depth : a.stream - b.stream;
}

export class RelationsService {
  constructor(
    private readonly storage: Storage,
    private readonly serializer: ClientEventSerializer,
    private readonly visibility: VisibilityChecker,
  ) {}

  /** GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]. */
  relations(requester: Requester, roomId: string, eventId: string, params: RelationsParams): JsonObject {
    const rules = this.visibility.rulesFor(requester.userId, roomId);
    const parent = this.storage.timeline.get(eventId);
    if (!parent || parent.roomId !== roomId || !rules.allows(parent)) throw notFound('Event not found');

    const limit = Math.min(params.limit ?? DEFAULT_RELATIONS_LIMIT, MAX_LIMIT);
    const backwards = params.dir === 'b';
    const to = params.to === undefined ? undefined : this.resolve(roomId, params.to);
    const beyond = (at: TopoPosition): boolean => to !== undefined && (backwards ? compare(at, to) <= 0 : compare(at, to) > 0);
    const page = (from: TopoPosition | undefined, n: number): RelatedRef[] =>
      this.storage.relations.children(roomId, {
        parentId: eventId,
        relType: params.relType,
        eventType: params.eventType,
        from,
        dir: params.dir,
        levels: params.recurse ? RECURSION_LEVELS : 1,
        limit: n,
      });

    const chunk: TimelineEvent[] = [];
    let cursor = params.from === undefined ? undefined : this.resolve(roomId, params.from);
    let scanned = 0;
    let more = true;
    fill: while (chunk.length < limit && scanned < MAX_SCANNED) {
      const want = Math.min(Math.max(limit - chunk.length + 1, 20), 200);
      const refs = page(cursor, want);
      const rows = this.storage.timeline.getMany(refs.map((r) => r.eventId));
      for (const ref of refs) {
        const at = positionAt(ref);
        if (beyond(at)) {
          more = false;
          break fill;
        }
        scanned++;
        cursor = backwards ? positionBefore(ref) : at;
        const row = rows.get(ref.eventId);
        if (row && rules.allows(row)) chunk.push(row);
        if (chunk.length >= limit) break fill;
      }
      if (refs.length < want) {
        more = false;
        break;
      }
    }
    // A full page may end exactly at the last child: look one further so next_batch is left out
    // exactly when nothing is left.
    if (more && chunk.length >= limit) {
      const next = page(cursor, 1)[0];
      more = next !== undefined && !beyond(positionAt(next));
    }

    const body: JsonObject = {
      chunk: this.serializer.serialize(chunk, { viewer: { userId: requester.userId, deviceId: requester.deviceId } }),
    };
    if (more && cursor !== undefined) body['next_batch'] = topoToken(cursor);
    if (params.from !== undefined) body['prev_batch'] = params.from;
    if (params.recurse !== undefined) body['recursion_depth'] = params.recurse ? RECURSION_LEVELS : 1;
    return body;
  }

  /** GET /rooms/{roomId}/threads. */
  threads(requester: Requester, roomId: string, params: ThreadsParams): JsonObject {
    this.requireReadable(requester.userId, roomId);
    const rules = this.visibility.rulesFor(requester.userId, roomId);
    const limit = Math.min(params.limit ?? DEFAULT_THREADS_LIMIT, MAX_LIMIT);
    let before: TopoPosition | undefined;
    if (params.from !== undefined) {
      const token = parsePaginationToken(params.from);
      if (token.kind !== 'topo') throw invalidParam('Unknown pagination token');
      before = token.pos;
    }
    const participant = params.include === 'participated' ? requester.userId : undefined;
    const page = (n: number): ThreadRef[] => this.storage.relations.threads({ roomId, before, participant, limit: n });

    const roots: TimelineEvent[] = [];
    let scanned = 0;
    let more = true;
    fill: while (roots.length < limit && scanned < MAX_SCANNED) {
      const want = Math.min(Math.max(limit - roots.length + 1, 20), 200);
      const threads = page(want);
      const rows = this.storage.timeline.getMany(threads.map((t) => t.rootId));
      for (const thread of threads) {
        scanned++;
        before = thread.latest;
        const root = rows.get(thread.rootId);
        if (root && rules.allows(root)) roots.push(root);
        if (roots.length >= limit) break fill;
      }
      if (threads.length < want) {
        more = false;
        break;
      }
    }
    if (more && roots.length >= limit) more = page(1).length > 0;

    const body: JsonObject = {
      chunk: this.serializer.serialize(roots, { viewer: { userId: requester.userId, deviceId: requester.deviceId } }),
    };
    if (more && before !== undefined) body['next_batch'] = topoToken(before);
    return body;
  }

  /** Members past or present may list threads (visibility then picks the roots); others not. */
  private requireReadable(userId: string, roomId: string): void {
    if (!this.storage.rooms.get(roomId)) throw forbidden('You are not allowed to view this room');
    if (this.storage.roomReads.membershipHistory(userId, roomId).length > 0) return;
    const id = this.storage.state.current(roomId, 'm.room.history_visibility', '');
    const event = id === undefined ? undefined : this.storage.timeline.getStateEvents([id]).get(id);
    const content = event ? (JSON.parse(event.json) as { content?: { history_visibility?: unknown } }).content : undefined;
    if (content?.history_visibility !== 'world_readable') throw forbidden('You are not allowed to view this room');
  }

  /** A position from a /relations, /messages or sync token. */
  private resolve(roomId: string, token: string): TopoPosition {
    const parsed = parsePaginationToken(token);
    if (parsed.kind === 'topo') return parsed.pos;
    const last = this.storage.timeline.topologicalEndAtOrBefore(roomId, parsed.stream);
    return last ? positionAt(last) : { depth: Number.MIN_SAFE_INTEGER, stream: Number.MIN_SAFE_INTEGER };
  }
}
