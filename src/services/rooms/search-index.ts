import type { RoomEvent } from '../../core/events/room-event.js';
import type { SearchKey } from '../../storage/search-repo.js';
import type { Storage } from '../../storage/storage.js';

/**
 * Keeps the search index (storage/search-repo.ts) in step with the DAG: called by the event
 * persister, inside its transaction, for events accepted into the timeline. The same types and
 * keys as migrations/0015_search.sql fills for older events.
 */

const SEARCHABLE: Readonly<Record<string, { readonly key: SearchKey; readonly field: string }>> = {
  'm.room.message': { key: 'content.body', field: 'body' },
  'm.room.name': { key: 'content.name', field: 'name' },
  'm.room.topic': { key: 'content.topic', field: 'topic' },
};

export function indexForSearch(storage: Storage, event: RoomEvent, streamOrdering: number): void {
  const searchable = Object.hasOwn(SEARCHABLE, event.type) ? SEARCHABLE[event.type] : undefined;
  if (!searchable) return;
  const value = event.content[searchable.field];
  if (typeof value === 'string') storage.search.insert(streamOrdering, searchable.key, value);
}
