import type { Db } from './database.js';
import type { TopoPosition } from './timeline-repo.js';

/**
 * The relations index (event_relations): which accepted timeline event relates to which parent,
 * how, and where it sits topologically. Rows exist only for events clients may see and are
 * deleted when the child is redacted, so reads need no join to apply those rules.
 *
 * Parent IDs are passed as one JSON array (json_each), so a page of events costs one statement
 * per question, whatever its size.
 */

export interface NewRelation {
  readonly eventId: string;
  readonly roomId: string;
  readonly relatesToId: string;
  readonly relType: string;
  readonly eventType: string;
  readonly sender: string;
  readonly depth: number;
  readonly streamOrdering: number;
}

/** A child event's place in the topological order. */
export interface RelatedRef {
  readonly eventId: string;
  readonly depth: number;
  readonly streamOrdering: number;
}

/** How many children of one relation type a parent has, in the child's room. */
export interface RelationCount {
  readonly parentId: string;
  readonly roomId: string;
  readonly relType: string;
  readonly count: number;
}

export interface ParentChild {
  readonly parentId: string;
  readonly roomId: string;
  readonly eventId: string;
}

export interface EditCandidate extends ParentChild {
  readonly sender: string;
  readonly eventType: string;
}

export interface ChildrenQuery {
  readonly parentId: string;
  readonly relType: string | undefined;
  readonly eventType: string | undefined;
  /** Backwards: children at or before it; forwards: children after it. */
  readonly from: TopoPosition | undefined;
  readonly dir: 'b' | 'f';
  /** Also children of children, this many levels deep in all (1: direct children only). */
  readonly levels: number;
  readonly limit: number;
}

export interface ThreadsQuery {
  readonly roomId: string;
  /** Threads whose latest reply sorts strictly before this position. */
  readonly before: TopoPosition | undefined;
  /** Only threads this user started or replied in. */
  readonly participant: string | undefined;
  readonly limit: number;
}

/** A thread root with the position of its latest reply. */
export interface ThreadRef {
  readonly rootId: string;
  readonly latest: TopoPosition;
}

/** Relation types bundled with their parents (spec "Aggregations of child events"). */
const BUNDLED = `('m.thread', 'm.replace', 'm.reference')`;
const PARENTS = 'SELECT value FROM json_each(?)';
const MAX_DEPTH = Number.MAX_SAFE_INTEGER;

interface ChildRow {
  event_id: string;
  depth: number;
  stream_ordering: number;
}

export class RelationsRepo {
  private readonly insertStmt;
  private readonly deleteStmt;
  private readonly countsStmt;
  private readonly latestInThreadStmt;
  private readonly participatedStmt;
  private readonly editsStmt;
  private readonly referencesStmt;
  private readonly threadsStmt;
  private readonly childrenStmts = new Map<string, ReturnType<Db['prepare']>>();

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO event_relations (event_id, room_id, relates_to_id, rel_type, event_type, sender, depth, stream_ordering)
       VALUES (@eventId, @roomId, @relatesToId, @relType, @eventType, @sender, @depth, @streamOrdering)`,
    );
    this.deleteStmt = db.prepare('DELETE FROM event_relations WHERE event_id = ?');
    this.countsStmt = db.prepare<[string], { relates_to_id: string; room_id: string; rel_type: string; n: number }>(
      `SELECT relates_to_id, room_id, rel_type, COUNT(*) AS n FROM event_relations
       WHERE relates_to_id IN (${PARENTS}) AND rel_type IN ${BUNDLED}
       GROUP BY relates_to_id, room_id, rel_type`,
    );
    this.latestInThreadStmt = db.prepare<[string], { relates_to_id: string; room_id: string; event_id: string }>(
      `SELECT relates_to_id, room_id, event_id FROM (
         SELECT relates_to_id, room_id, event_id,
           ROW_NUMBER() OVER (PARTITION BY relates_to_id, room_id ORDER BY depth DESC, stream_ordering DESC) AS rn
         FROM event_relations WHERE relates_to_id IN (${PARENTS}) AND rel_type = 'm.thread')
       WHERE rn = 1`,
    );
    this.participatedStmt = db.prepare<[string, string], { relates_to_id: string; room_id: string }>(
      `SELECT DISTINCT relates_to_id, room_id FROM event_relations
       WHERE relates_to_id IN (${PARENTS}) AND rel_type = 'm.thread' AND sender = ?`,
    );
    // Most recent first, as the spec orders replacements: origin_server_ts, then event ID.
    this.editsStmt = db.prepare<[string], { relates_to_id: string; room_id: string; event_id: string; sender: string; event_type: string }>(
      `SELECT r.relates_to_id, r.room_id, r.event_id, r.sender, r.event_type
       FROM event_relations r JOIN events e ON e.event_id = r.event_id
       WHERE r.relates_to_id IN (${PARENTS}) AND r.rel_type = 'm.replace'
       ORDER BY e.origin_server_ts DESC, r.event_id DESC`,
    );
    this.referencesStmt = db.prepare<[string], { relates_to_id: string; room_id: string; event_id: string }>(
      `SELECT relates_to_id, room_id, event_id FROM event_relations
       WHERE relates_to_id IN (${PARENTS}) AND rel_type = 'm.reference'
       ORDER BY depth, stream_ordering`,
    );
    this.threadsStmt = db.prepare<
      { roomId: string; depth: number; stream: number; participant: string | null; limit: number },
      { root: string; depth: number; stream_ordering: number }
    >(
      `SELECT root, depth, stream_ordering FROM (
         SELECT relates_to_id AS root, depth, stream_ordering,
           ROW_NUMBER() OVER (PARTITION BY relates_to_id ORDER BY depth DESC, stream_ordering DESC) AS rn
         FROM event_relations WHERE room_id = @roomId AND rel_type = 'm.thread') t
       WHERE rn = 1 AND (depth < @depth OR (depth = @depth AND stream_ordering < @stream))
         AND EXISTS (SELECT 1 FROM events e WHERE e.event_id = t.root AND e.room_id = @roomId
                       AND e.outlier = 0 AND e.rejected_reason IS NULL AND e.soft_failed = 0)
         AND (@participant IS NULL
              OR EXISTS (SELECT 1 FROM events e WHERE e.event_id = t.root AND e.sender = @participant)
              OR EXISTS (SELECT 1 FROM event_relations p WHERE p.relates_to_id = t.root AND p.rel_type = 'm.thread'
                           AND p.room_id = @roomId AND p.sender = @participant))
       ORDER BY depth DESC, stream_ordering DESC LIMIT @limit`,
    );
  }

  /** Indexes an accepted event's relation (inside the persisting transaction). */
  insert(relation: NewRelation): void {
    this.insertStmt.run(relation);
  }

  /** Drops an event's relation: it was redacted, so its content no longer declares one. */
  remove(eventId: string): void {
    this.deleteStmt.run(eventId);
  }

  /**
   * Counts of thread replies, edits and references per parent: the one query a page of events
   * with no relations costs.
   */
  bundledCounts(parentIds: readonly string[]): RelationCount[] {
    if (parentIds.length === 0) return [];
    return this.countsStmt
      .all(JSON.stringify(parentIds))
      .map((r) => ({ parentId: r.relates_to_id, roomId: r.room_id, relType: r.rel_type, count: r.n }));
  }

  /** Each thread's latest reply in topological order. */
  latestThreadReplies(rootIds: readonly string[]): ParentChild[] {
    if (rootIds.length === 0) return [];
    return this.latestInThreadStmt.all(JSON.stringify(rootIds)).map((r) => ({ parentId: r.relates_to_id, roomId: r.room_id, eventId: r.event_id }));
  }

  /** The threads among `rootIds` where `userId` sent a reply, as "root|room" keys. */
  threadsRepliedBy(rootIds: readonly string[], userId: string): Set<string> {
    if (rootIds.length === 0) return new Set();
    return new Set(this.participatedStmt.all(JSON.stringify(rootIds), userId).map((r) => `${r.relates_to_id}|${r.room_id}`));
  }

  /** Every m.replace child of the parents, most recent first. */
  editCandidates(parentIds: readonly string[]): EditCandidate[] {
    if (parentIds.length === 0) return [];
    return this.editsStmt.all(JSON.stringify(parentIds)).map((r) => ({
      parentId: r.relates_to_id,
      roomId: r.room_id,
      eventId: r.event_id,
      sender: r.sender,
      eventType: r.event_type,
    }));
  }

  /** Every m.reference child of the parents, in topological order. */
  references(parentIds: readonly string[]): ParentChild[] {
    if (parentIds.length === 0) return [];
    return this.referencesStmt.all(JSON.stringify(parentIds)).map((r) => ({ parentId: r.relates_to_id, roomId: r.room_id, eventId: r.event_id }));
  }

  /**
   * One page of a parent's children in topological order (newest first backwards), in the
   * parent's room. With levels > 1, children of children too, each event once.
   */
  children(roomId: string, query: ChildrenQuery): RelatedRef[] {
    const backwards = query.dir === 'b';
    const from = query.from ?? (backwards ? { depth: MAX_DEPTH, stream: MAX_DEPTH } : { depth: -MAX_DEPTH, stream: -MAX_DEPTH });
    const rows = this.childrenStmt(query.levels > 1, query.relType !== undefined, query.eventType !== undefined, backwards).all({
      parent: query.parentId,
      roomId,
      relType: query.relType ?? null,
      eventType: query.eventType ?? null,
      depth: from.depth,
      stream: from.stream,
      levels: query.levels,
      limit: query.limit,
    }) as ChildRow[];
    return rows.map((r) => ({ eventId: r.event_id, depth: r.depth, streamOrdering: r.stream_ordering }));
  }

  /** A room's threads, the one with the most recent reply first. */
  threads(query: ThreadsQuery): ThreadRef[] {
    const before = query.before ?? { depth: MAX_DEPTH, stream: MAX_DEPTH };
    return this.threadsStmt
      .all({ roomId: query.roomId, depth: before.depth, stream: before.stream, participant: query.participant ?? null, limit: query.limit })
      .map((r) => ({ rootId: r.root, latest: { depth: r.depth, stream: r.stream_ordering } }));
  }

  /** The /relations statement for one combination of options, prepared once. */
  private childrenStmt(recurse: boolean, byRelType: boolean, byEventType: boolean, backwards: boolean): ReturnType<Db['prepare']> {
    const key = `${recurse}|${byRelType}|${byEventType}|${backwards}`;
    let stmt = this.childrenStmts.get(key);
    if (stmt) return stmt;
    const where = ['r.room_id = @roomId'];
    if (byRelType) where.push('r.rel_type = @relType');
    if (byEventType) where.push('r.event_type = @eventType');
    where.push(
      backwards
        ? '(r.depth < @depth OR (r.depth = @depth AND r.stream_ordering <= @stream))'
        : '(r.depth > @depth OR (r.depth = @depth AND r.stream_ordering > @stream))',
    );
    const order = backwards ? 'DESC' : 'ASC';
    // Recursion follows every relation type; the filters apply to what is returned, at any level
    // (as Synapse does). UNION (not UNION ALL) visits each event once, so cycles end.
    const source = recurse
      ? `(WITH RECURSIVE tree(event_id, level) AS (
            SELECT event_id, 1 FROM event_relations WHERE relates_to_id = @parent
            UNION SELECT c.event_id, tree.level + 1 FROM event_relations c JOIN tree ON c.relates_to_id = tree.event_id
            WHERE tree.level < @levels)
          SELECT DISTINCT x.* FROM event_relations x JOIN tree ON tree.event_id = x.event_id)`
      : `(SELECT * FROM event_relations WHERE relates_to_id = @parent)`;
    stmt = this.db.prepare(
      `SELECT r.event_id, r.depth, r.stream_ordering FROM ${source} r
       WHERE ${where.join(' AND ')}
       ORDER BY r.depth ${order}, r.stream_ordering ${order} LIMIT @limit`,
    );
    this.childrenStmts.set(key, stmt);
    return stmt;
  }
}
