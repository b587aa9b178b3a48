import type { Db } from './database.js';

/**
 * The full-text index behind POST /search (event_search, migrations/0015_search.sql): one FTS5
 * row per accepted timeline event with searchable text, its rowid being the event's stream
 * ordering. Rows exist only for events clients may see and are deleted on redaction; callers
 * still apply history visibility and filters to what they get back.
 *
 * Callers pass words, never query text: each word becomes a quoted FTS5 string, so nothing a user
 * types (quotes, `*`, `-`, NEAR, column filters, parentheses) is read as FTS5 syntax.
 */

export type SearchKey = 'content.body' | 'content.name' | 'content.topic';

export interface SearchQuery {
  /** Words that must all occur (AND), each matched as a whole token (no prefix matching). */
  readonly words: readonly string[];
  readonly roomIds: readonly string[];
  readonly keys: readonly SearchKey[];
  /** Only events from this sender (a sender group's next batch). */
  readonly sender: string | undefined;
}

export interface SearchHit {
  readonly eventId: string;
  readonly streamOrdering: number;
  /** bm25 relevance, higher is closer (FTS5's rank is its negation). */
  readonly rank: number;
}

interface HitRow {
  event_id: string;
  stream_ordering: number;
  rank: number;
}

/** FTS5 string literal: double quotes, inner ones doubled. */
function quoted(word: string): string {
  return `"${word.replaceAll('"', '""')}"`;
}

/** The MATCH expression for words that must all occur. */
export function matchExpression(words: readonly string[]): string {
  return words.map(quoted).join(' AND ');
}

// CROSS JOIN keeps SQLite driving from the full-text index into events by primary key.
const FROM = `FROM event_search CROSS JOIN events e ON e.stream_ordering = event_search.rowid
  WHERE event_search MATCH @match
    AND e.room_id IN (SELECT value FROM json_each(@rooms))
    AND event_search.key IN (SELECT value FROM json_each(@keys))
    AND (@sender IS NULL OR e.sender = @sender)`;

interface Params {
  match: string;
  rooms: string;
  keys: string;
  sender: string | null;
}

export class SearchRepo {
  private readonly insertStmt;
  private readonly deleteStmt;
  private readonly recentStmt;
  private readonly rankedStmt;
  private readonly countStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare<[number, string, string]>('INSERT OR REPLACE INTO event_search (rowid, value, key) VALUES (?, ?, ?)');
    this.deleteStmt = db.prepare<[string]>('DELETE FROM event_search WHERE rowid = (SELECT stream_ordering FROM events WHERE event_id = ?)');
    this.recentStmt = db.prepare<Params & { before: number; limit: number }, HitRow>(
      `SELECT e.event_id, e.stream_ordering, -event_search.rank AS rank ${FROM} AND event_search.rowid < @before
       ORDER BY event_search.rowid DESC LIMIT @limit`,
    );
    this.rankedStmt = db.prepare<Params & { limit: number }, HitRow>(
      `SELECT e.event_id, e.stream_ordering, -event_search.rank AS rank ${FROM}
       ORDER BY event_search.rank, event_search.rowid DESC LIMIT @limit`,
    );
    this.countStmt = db.prepare<Params, { n: number }>(`SELECT count(*) AS n ${FROM}`);
  }

  /** Indexes an accepted event's text (inside the persisting transaction). */
  insert(streamOrdering: number, key: SearchKey, value: string): void {
    this.insertStmt.run(streamOrdering, value, key);
  }

  /** Drops an event's row: it was redacted, so its text is gone. */
  remove(eventId: string): void {
    this.deleteStmt.run(eventId);
  }

  /** Matches with a stream ordering below `before`, most recent first. */
  recent(query: SearchQuery, before: number, limit: number): SearchHit[] {
    if (!this.searchable(query)) return [];
    return this.recentStmt.all({ ...this.params(query), before, limit }).map(toHit);
  }

  /** The best `limit` matches, most relevant first. */
  ranked(query: SearchQuery, limit: number): SearchHit[] {
    if (!this.searchable(query)) return [];
    return this.rankedStmt.all({ ...this.params(query), limit }).map(toHit);
  }

  /** How many events match, before history visibility and filters (the spec's approximate count). */
  count(query: SearchQuery): number {
    if (!this.searchable(query)) return 0;
    return this.countStmt.get(this.params(query))?.n ?? 0;
  }

  private searchable(query: SearchQuery): boolean {
    return query.words.length > 0 && query.roomIds.length > 0 && query.keys.length > 0;
  }

  private params(query: SearchQuery): Params {
    return {
      match: matchExpression(query.words),
      rooms: JSON.stringify(query.roomIds),
      keys: JSON.stringify(query.keys),
      sender: query.sender ?? null,
    };
  }
}

function toHit(r: HitRow): SearchHit {
  return { eventId: r.event_id, streamOrdering: r.stream_ordering, rank: r.rank };
}
