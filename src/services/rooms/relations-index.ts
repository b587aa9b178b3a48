import { relationOf } from '../../core/events/relations.js';
import type { RoomEvent } from '../../core/events/room-event.js';
import type { Storage } from '../../storage/storage.js';

/**
 * Keeps the relations index (storage/relations-repo.ts) in step with the DAG: called by the
 * event persister, inside its transaction, for events accepted into the timeline.
 */
export function indexRelation(storage: Storage, event: RoomEvent, streamOrdering: number): void {
  const relation = relationOf(event.content);
  if (!relation) return;
  storage.relations.insert({
    eventId: event.event_id,
    roomId: event.room_id,
    relatesToId: relation.eventId,
    relType: relation.relType,
    eventType: event.type,
    sender: event.sender,
    depth: event.depth,
    streamOrdering,
  });
}
