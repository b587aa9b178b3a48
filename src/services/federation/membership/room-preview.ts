import { isJsonObject, type JsonObject, type JsonValue } from '../../../core/json.js';
import type { MembershipContext } from './context.js';
import { describe } from './remote-errors.js';

/**
 * What a user may learn of a room before (or without) being in it, for the space hierarchy and
 * the room summary: the rules that decide who may see a room, and a room described by another
 * server's federation /hierarchy answer (checked, and reduced to the fields clients get).
 */

const JOINABLE_RULES = new Set(['public', 'knock', 'knock_restricted']);

/** A room as a remote server described it: the chunk, and the children it would not show us. */
export interface RemoteRoom {
  readonly entry: JsonObject;
  readonly inaccessibleChildren: ReadonlySet<string>;
}

export class RoomPreview {
  constructor(private readonly ctx: MembershipContext) {}

  /** A room we hold: the user is in it or invited, or it is open to them. */
  userMayView(userId: string, roomId: string): boolean {
    const { rooms, storage } = this.ctx;
    const membership = storage.memberships.current(roomId, userId)?.membership;
    if (membership === 'join' || membership === 'invite') return true;
    if (membership === 'ban') return false;
    if (rooms.access.isWorldReadable(roomId)) return true;
    const joinRules = rooms.state.currentLookup(roomId)('m.room.join_rules', '')?.content;
    return this.openTo(userId, joinRules?.['join_rule'], allowedRoomIds(joinRules?.['allow']));
  }

  /** A remote room's summary: world-readable, or its join rule lets the user in. */
  remoteMayView(userId: string | undefined, entry: JsonObject): boolean {
    if (entry['world_readable'] === true) return true;
    const allowed = Array.isArray(entry['allowed_room_ids']) ? entry['allowed_room_ids'].filter((id): id is string => typeof id === 'string') : [];
    return this.openTo(userId, entry['join_rule'], allowed);
  }

  /** Public or knockable; restricted to a room the user is joined to. Nobody (undefined) gets only the former. */
  openTo(userId: string | undefined, joinRule: JsonValue | undefined, allowed: readonly string[]): boolean {
    if (typeof joinRule === 'string' && JOINABLE_RULES.has(joinRule)) return true;
    if (userId !== undefined && (joinRule === 'restricted' || joinRule === 'knock_restricted')) {
      return allowed.some((roomId) => this.ctx.storage.memberships.current(roomId, userId)?.membership === 'join');
    }
    return false;
  }

  /** Asks one server for a room with federation /hierarchy; undefined when it cannot say. */
  async askServer(server: string, roomId: string, suggestedOnly: boolean): Promise<RemoteRoom | undefined> {
    try {
      const response = await this.ctx.federation.client.request(server, {
        method: 'GET',
        path: `/_matrix/federation/v1/hierarchy/${encodeURIComponent(roomId)}`,
        query: { suggested_only: String(suggestedOnly) },
        maxResponseBytes: 1024 * 1024,
      });
      return parseRemoteRoom(response, roomId);
    } catch (err) {
      this.ctx.log.info({ roomId, server, err: describe(err) }, 'hierarchy request failed; trying the next server');
      return undefined;
    }
  }
}

/** A join rule's allow-list entries of type m.room_membership. */
export function allowedRoomIds(allow: JsonValue | undefined): string[] {
  if (!Array.isArray(allow)) return [];
  return allow.flatMap((a) => {
    if (!isJsonObject(a)) return [];
    if (typeof a['room_id'] === 'string' && (a['type'] === 'm.room_membership' || a['type'] === undefined)) return [a['room_id']];
    return [];
  });
}

/** The summary fields a client may see, copied only when of the right type. */
const STRING_FIELDS = ['room_id', 'name', 'topic', 'canonical_alias', 'avatar_url', 'join_rule', 'room_type', 'room_version', 'encryption'] as const;
const BOOLEAN_FIELDS = ['world_readable', 'guest_can_join'] as const;

/** The `room` of a federation /hierarchy answer, checked and reduced to what clients get. */
function parseRemoteRoom(response: JsonObject, roomId: string): RemoteRoom | undefined {
  const room = response['room'];
  if (!isJsonObject(room) || room['room_id'] !== roomId) return undefined;
  const members = room['num_joined_members'];
  if (typeof members !== 'number' || !Number.isSafeInteger(members) || members < 0) return undefined;
  const entry: JsonObject = { num_joined_members: members };
  for (const key of STRING_FIELDS) if (typeof room[key] === 'string') entry[key] = room[key];
  for (const key of BOOLEAN_FIELDS) entry[key] = room[key] === true;
  const allowed = Array.isArray(room['allowed_room_ids']) ? room['allowed_room_ids'].filter((id): id is string => typeof id === 'string').slice(0, 100) : [];
  if (allowed.length > 0) entry['allowed_room_ids'] = allowed;
  const children = Array.isArray(room['children_state']) ? room['children_state'] : [];
  entry['children_state'] = children
    .flatMap((c): JsonObject[] => {
      if (!isJsonObject(c) || c['type'] !== 'm.space.child' || typeof c['state_key'] !== 'string' || !isJsonObject(c['content'])) return [];
      if (typeof c['sender'] !== 'string' || typeof c['origin_server_ts'] !== 'number') return [];
      return [{ type: 'm.space.child', state_key: c['state_key'], content: c['content'], sender: c['sender'], origin_server_ts: c['origin_server_ts'] }];
    })
    .slice(0, 1000);
  const inaccessible = response['inaccessible_children'];
  return {
    entry,
    inaccessibleChildren: new Set(Array.isArray(inaccessible) ? inaccessible.filter((id): id is string => typeof id === 'string') : []),
  };
}
