import { createEventIdOf } from '../../../core/state-res/graph.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import type { EventLoader } from '../../rooms/event-loader.js';

/**
 * The auth chain of stored events: every event reachable over auth_events (the start events
 * themselves only when another start event's chain reaches them). From v12 the create event is
 * an implicit auth event of every other event, so it is part of every chain.
 */
export function authChainIds(loader: EventLoader, version: RoomVersion, startIds: Iterable<string>): Set<string> {
  const chain = new Set<string>();
  const stack: string[] = [];
  const follow = (id: string): void => {
    const loaded = loader.load(id);
    if (!loaded) return;
    for (const authId of loaded.event.auth_events) stack.push(authId);
    if (version.roomIdFromCreateEvent && loaded.event.type !== 'm.room.create') {
      const createId = createEventIdOf(loaded.event.room_id);
      if (createId !== undefined) stack.push(createId);
    }
  };
  for (const id of startIds) follow(id);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (chain.has(id)) continue;
    chain.add(id);
    follow(id);
  }
  return chain;
}
