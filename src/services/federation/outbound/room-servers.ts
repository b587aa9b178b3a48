import type { Storage } from '../../../storage/storage.js';
import { serverOfUserId } from '../../user-ids.js';

/**
 * The servers with joined members in a room's current state: who receives the room's new events
 * and ephemeral updates. Cached per room against rooms.current_state_group, which changes
 * whenever the current state does, so a 10,000-member room is read once per membership change,
 * not once per message.
 */
export class RoomServers {
  private readonly cache = new Map<string, { readonly group: number | null; readonly servers: ReadonlySet<string> }>();

  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
  ) {}

  /** Every server with a joined member (ourselves included). */
  joined(roomId: string): ReadonlySet<string> {
    const group = this.storage.rooms.get(roomId)?.currentStateGroup ?? null;
    const cached = this.cache.get(roomId);
    if (cached && cached.group === group && group !== null) return cached.servers;
    const servers = new Set<string>();
    for (const member of this.storage.memberships.members(roomId, 'join')) {
      const server = serverOfUserId(member.userId);
      if (server !== undefined) servers.add(server);
    }
    this.cache.set(roomId, { group, servers });
    return servers;
  }

  /** The other servers with joined members: where our events and EDUs for the room go. */
  remote(roomId: string): string[] {
    return [...this.joined(roomId)].filter((s) => s !== this.serverName);
  }

  /** Whether `server` has a joined member in the room (the read endpoints' "in the room"). */
  isJoined(roomId: string, server: string): boolean {
    return this.joined(roomId).has(server);
  }
}
