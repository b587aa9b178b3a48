import { REL_ANNOTATION, REL_REFERENCE, REL_REPLACE, REL_THREAD, relationOf } from '../../core/events/relations.js';
import { isJsonObject, type JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import type { TimelineEvent } from '../../storage/timeline-repo.js';

/**
 * Bundled aggregations (spec "Aggregations of child events"): what a page of events carries in
 * `unsigned["m.relations"]`:
 *   - m.thread    {latest_event, count, current_user_participated} on thread roots;
 *   - m.replace   the most recent valid edit, the whole event (v1.7+);
 *   - m.reference {chunk: [{event_id}]}.
 *
 * Computed per page, never cached: children keep arriving, and current_user_participated
 * depends on the requester. A page whose events have no children costs one indexed query; state
 * events, edits and annotations (which may not have children of their own) cost nothing.
 */

/** An event of the page with its client-visible content (redacted if it was redacted). */
export interface PageEvent {
  readonly event: TimelineEvent;
  readonly content: JsonObject;
}

/** Turns related events into client events; `bundle`: with their own aggregations. */
export type SerializeRelated = (events: readonly TimelineEvent[], bundle: boolean) => JsonObject[];

const ENCRYPTED = 'm.room.encrypted';

export class BundledAggregations {
  constructor(private readonly storage: Storage) {}

  /** The `m.relations` object per event ID, for the events of the page that have any. */
  forPage(page: readonly PageEvent[], viewerId: string | undefined, serializeRelated: SerializeRelated): Map<string, JsonObject> {
    const out = new Map<string, JsonObject>();
    const parents = new Map<string, PageEvent>();
    const threadable = new Set<string>();
    for (const p of page) {
      const e = p.event;
      if (e.stateKey !== null) continue;
      const relation = relationOf(p.content);
      if (relation && (relation.relType === REL_REPLACE || relation.relType === REL_ANNOTATION)) continue;
      parents.set(e.eventId, p);
      // A thread cannot start on an event that itself relates to another.
      if (!relation) threadable.add(e.eventId);
    }
    if (parents.size === 0) return out;

    const threads: string[] = [];
    const edited: string[] = [];
    const referenced: string[] = [];
    const threadCounts = new Map<string, number>();
    for (const c of this.storage.relations.bundledCounts([...parents.keys()])) {
      const parent = parents.get(c.parentId);
      // Children count only in their parent's room.
      if (!parent || parent.event.roomId !== c.roomId) continue;
      if (c.relType === REL_THREAD && threadable.has(c.parentId)) {
        threads.push(c.parentId);
        threadCounts.set(c.parentId, c.count);
      } else if (c.relType === REL_REPLACE && parent.event.redactedBy === null) {
        // An edit of a redacted event would leak the content the redaction removed.
        edited.push(c.parentId);
      } else if (c.relType === REL_REFERENCE) {
        referenced.push(c.parentId);
      }
    }
    if (threads.length === 0 && edited.length === 0 && referenced.length === 0) return out;

    const bundleOf = (eventId: string): JsonObject => {
      let bundle = out.get(eventId);
      if (!bundle) out.set(eventId, (bundle = {}));
      return bundle;
    };

    const latest = this.latestReplies(threads, parents);
    const editCandidates = this.editCandidates(edited, parents);
    const rows = this.storage.timeline.getMany([...latest.values(), ...editCandidates.flatMap(([, ids]) => ids)]);

    if (latest.size > 0) {
      const replied = viewerId === undefined ? new Set<string>() : this.storage.relations.threadsRepliedBy([...latest.keys()], viewerId);
      const rootIds = [...latest.keys()].filter((id) => rows.has(latest.get(id)!));
      const serialized = serializeRelated(rootIds.map((id) => rows.get(latest.get(id)!)!), true);
      rootIds.forEach((rootId, i) => {
        const root = parents.get(rootId)!.event;
        bundleOf(rootId)[REL_THREAD] = {
          latest_event: serialized[i]!,
          count: threadCounts.get(rootId) ?? 0,
          current_user_participated: viewerId !== undefined && (root.sender === viewerId || replied.has(`${rootId}|${root.roomId}`)),
        };
      });
    }

    const edits: [string, TimelineEvent][] = [];
    for (const [parentId, candidateIds] of editCandidates) {
      const edit = candidateIds.map((id) => rows.get(id)).find((row) => row !== undefined && isValidEdit(row));
      if (edit) edits.push([parentId, edit]);
    }
    if (edits.length > 0) {
      const serialized = serializeRelated(
        edits.map(([, edit]) => edit),
        false,
      );
      edits.forEach(([parentId], i) => {
        bundleOf(parentId)[REL_REPLACE] = serialized[i]!;
      });
    }

    if (referenced.length > 0) {
      const chunks = new Map<string, JsonObject[]>();
      for (const r of this.storage.relations.references(referenced)) {
        if (parents.get(r.parentId)?.event.roomId !== r.roomId) continue;
        let chunk = chunks.get(r.parentId);
        if (!chunk) chunks.set(r.parentId, (chunk = []));
        chunk.push({ event_id: r.eventId });
      }
      for (const [parentId, chunk] of chunks) bundleOf(parentId)[REL_REFERENCE] = { chunk };
    }
    return out;
  }

  /** Thread root → its latest reply's event ID. */
  private latestReplies(rootIds: readonly string[], parents: ReadonlyMap<string, PageEvent>): Map<string, string> {
    const latest = new Map<string, string>();
    for (const r of this.storage.relations.latestThreadReplies(rootIds)) {
      if (parents.get(r.parentId)?.event.roomId === r.roomId) latest.set(r.parentId, r.eventId);
    }
    return latest;
  }

  /**
   * Per edited event, the IDs of the edits that may replace it, most recent first: same room,
   * same sender, same type (spec "Validity of replacement events"); content is checked later.
   */
  private editCandidates(parentIds: readonly string[], parents: ReadonlyMap<string, PageEvent>): [string, string[]][] {
    const byParent = new Map<string, string[]>();
    for (const c of this.storage.relations.editCandidates(parentIds)) {
      const original = parents.get(c.parentId)?.event;
      if (!original || original.roomId !== c.roomId || original.sender !== c.sender || original.type !== c.eventType) continue;
      let ids = byParent.get(c.parentId);
      if (!ids) byParent.set(c.parentId, (ids = []));
      ids.push(c.eventId);
    }
    return [...byParent];
  }
}

/**
 * The rest of the validity rules: a replacement is no state event and carries m.new_content
 * (in encrypted rooms that sits inside the ciphertext, which the server cannot check).
 */
function isValidEdit(edit: TimelineEvent): boolean {
  if (edit.stateKey !== null || edit.redactedBy !== null) return false;
  if (edit.type === ENCRYPTED) return true;
  const content = (JSON.parse(edit.json) as { content?: unknown }).content;
  return isJsonObject(content) && isJsonObject(content['m.new_content']);
}
