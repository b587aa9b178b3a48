import type { Storage } from '../../../storage/storage.js';
import { serverOfUserId } from '../../user-ids.js';

/**
 * The servers "in the room": those with at least one joined member in the current state. They
 * receive the room's new events, and are who a joining or leaving server may ask.
 */
export function joinedServers(storage: Storage, roomId: string): Set<string> {
  const servers = new Set<string>();
  for (const member of storage.memberships.members(roomId, 'join')) {
    const server = serverOfUserId(member.userId);
    if (server !== undefined) servers.add(server);
  }
  return servers;
}

/** joinedServers without the given ones (ourselves, the origin of an event), for fan-out. */
export function otherJoinedServers(storage: Storage, roomId: string, ...except: string[]): string[] {
  const servers = joinedServers(storage, roomId);
  for (const server of except) servers.delete(server);
  return [...servers];
}
