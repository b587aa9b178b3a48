import type { JsonObject } from '../../../core/json.js';
import { isValidServerName } from '../../../core/server-name.js';
import { notFound } from '../../errors.js';
import type { MembershipContext } from './context.js';
import type { RoomPreview } from './room-preview.js';
import type { SpaceHierarchy } from './space-hierarchy.js';

/**
 * GET /_matrix/client/v1/room_summary/{roomIdOrAlias} (spec v1.15, MSC3266): a room's public
 * face before joining. A room we hold is described from its state; otherwise one of the `via`
 * servers (or those an alias lookup named) is asked with federation /hierarchy, as Synapse does.
 * Only rooms the caller could see or join are described: anything else, unknown rooms included,
 * is 404, so the answer never tells a private room from a missing one. Without an access token
 * only public, knockable or world-readable rooms are.
 */

const MAX_VIA = 5;

export class RoomSummary {
  constructor(
    private readonly ctx: MembershipContext,
    private readonly local: SpaceHierarchy,
    private readonly preview: RoomPreview,
  ) {}

  async summary(userId: string | undefined, roomIdOrAlias: string, via: readonly string[]): Promise<JsonObject> {
    let roomId = roomIdOrAlias;
    let servers = via;
    if (roomIdOrAlias.startsWith('#')) {
      const resolved = await this.ctx.rooms.aliases.resolve(roomIdOrAlias);
      roomId = resolved.roomId;
      servers = [...via, ...resolved.servers];
    }
    const membership = userId === undefined ? undefined : this.ctx.storage.memberships.current(roomId, userId)?.membership;
    const entry = this.local.known(roomId) ? this.localEntry(userId, roomId) : await this.remoteEntry(userId, roomId, servers);
    if (!entry) throw notFound('Room not found or not accessible.');
    const { children_state: _children, ...summary } = entry;
    return membership !== undefined ? { ...summary, membership } : summary;
  }

  private localEntry(userId: string | undefined, roomId: string): JsonObject | undefined {
    const visible = userId !== undefined ? this.preview.userMayView(userId, roomId) : this.openToAnyone(roomId);
    return visible ? this.local.summary(roomId) : undefined;
  }

  private openToAnyone(roomId: string): boolean {
    const { rooms } = this.ctx;
    if (rooms.access.isWorldReadable(roomId)) return true;
    return this.preview.openTo(undefined, rooms.state.currentLookup(roomId)('m.room.join_rules', '')?.content['join_rule'], []);
  }

  private async remoteEntry(userId: string | undefined, roomId: string, via: readonly string[]): Promise<JsonObject | undefined> {
    const servers = [...new Set(via)].filter((s) => s !== this.ctx.serverName && isValidServerName(s)).slice(0, MAX_VIA);
    for (const server of servers) {
      const room = await this.preview.askServer(server, roomId, false);
      if (!room) continue;
      // An invite or knock of ours lets the user see what the room's server chose to tell.
      const membership = userId === undefined ? undefined : this.ctx.storage.memberships.current(roomId, userId)?.membership;
      if (membership === 'invite' || membership === 'knock' || this.preview.remoteMayView(userId, room.entry)) return room.entry;
      return undefined;
    }
    return undefined;
  }
}
