import { isJsonObject, type JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import { forbidden, invalidParam, notFound } from '../errors.js';
import type { Requester } from '../requester.js';
import type { EventLoader } from './event-loader.js';
import { powerView } from './power.js';
import type { RoomAccess } from './room-access.js';
import type { StateReader } from './state-reader.js';

/**
 * The published room directory (list_public_rooms.yaml): which rooms are listed, and the
 * listing itself with its search filter and paging. Listed rooms are ordered largest first,
 * then by room ID; a paging token is the offset into that order (`o<offset>`), which is what
 * both next_batch and prev_batch name, so the direction is in the token.
 */

export interface PublicRoomsQuery {
  readonly limit?: number | undefined;
  readonly since?: string | undefined;
  readonly genericSearchTerm?: string | undefined;
  /** Room types to list; null stands for rooms without a type. Absent: every room. */
  readonly roomTypes?: readonly (string | null)[] | undefined;
}

const MAX_LIMIT = 500;

export class RoomDirectory {
  constructor(
    private readonly storage: Storage,
    private readonly events: EventLoader,
    private readonly state: StateReader,
    private readonly access: RoomAccess,
  ) {}

  /** GET /directory/list/room/{roomId}. */
  visibility(roomId: string): 'public' | 'private' {
    const room = this.storage.rooms.get(roomId);
    if (!room) throw notFound('Unknown room');
    return room.isPublic ? 'public' : 'private';
  }

  /**
   * PUT /directory/list/room/{roomId}: members who may change the canonical alias (as Synapse
   * asks), or server admins.
   */
  setVisibility(requester: Requester, roomId: string, visibility: 'public' | 'private'): void {
    const version = this.events.versionOf(roomId);
    if (!version || !this.storage.rooms.get(roomId)) throw notFound('Unknown room');
    if (!requester.isAdmin) {
      this.access.requireJoined(roomId, requester.userId);
      const power = powerView(version, this.state.currentLookup(roomId));
      if (power.userLevel(requester.userId) < power.eventLevel('m.room.canonical_alias', true)) {
        throw forbidden('You may not change whether this room is published');
      }
    }
    this.storage.rooms.setPublic(roomId, visibility === 'public');
  }

  /** GET/POST /publicRooms on this server. */
  publicRooms(query: PublicRoomsQuery): JsonObject {
    const limit = query.limit === undefined || query.limit <= 0 ? undefined : Math.min(query.limit, MAX_LIMIT);
    let start = 0;
    if (query.since !== undefined) {
      const m = /^o(\d{1,9})$/.exec(query.since);
      if (!m) throw invalidParam('Invalid since token');
      start = Number(m[1]);
    }
    const term = query.genericSearchTerm?.trim().toLowerCase();
    const all = this.storage.rooms.publicRooms();
    const matching: JsonObject[] = [];
    for (const { roomId, joinedMembers } of all) {
      const chunk = this.chunk(roomId, joinedMembers);
      if (term && !matchesTerm(chunk, term)) continue;
      if (query.roomTypes && !query.roomTypes.includes(typeof chunk.room_type === 'string' ? chunk.room_type : null)) continue;
      matching.push(chunk);
    }
    const end = limit === undefined ? matching.length : Math.min(start + limit, matching.length);
    const response: JsonObject = { chunk: matching.slice(start, end), total_room_count_estimate: matching.length };
    if (end < matching.length) response.next_batch = `o${end}`;
    if (start > 0) response.prev_batch = `o${Math.max(0, start - (limit ?? start))}`;
    return response;
  }

  /** One room's directory entry (PublicRoomsChunk), listed or not: for the space hierarchy (federation). */
  summary(roomId: string): JsonObject {
    return this.chunk(roomId, this.storage.memberships.count(roomId, 'join'));
  }

  private chunk(roomId: string, joinedMembers: number): JsonObject {
    const content = (type: string): JsonObject => {
      const eventId = this.storage.state.current(roomId, type, '');
      return (eventId === undefined ? undefined : this.events.roomEvent(eventId)?.content) ?? {};
    };
    const chunk: JsonObject = {
      room_id: roomId,
      num_joined_members: joinedMembers,
      world_readable: content('m.room.history_visibility').history_visibility === 'world_readable',
      guest_can_join: content('m.room.guest_access').guest_access === 'can_join',
    };
    const name = content('m.room.name').name;
    if (typeof name === 'string' && name !== '') chunk.name = name;
    const topic = plainTopic(content('m.room.topic'));
    if (topic !== undefined) chunk.topic = topic;
    const alias = content('m.room.canonical_alias').alias;
    if (typeof alias === 'string') chunk.canonical_alias = alias;
    const avatar = content('m.room.avatar').url;
    if (typeof avatar === 'string' && avatar !== '') chunk.avatar_url = avatar;
    const joinRule = content('m.room.join_rules').join_rule;
    if (typeof joinRule === 'string') chunk.join_rule = joinRule;
    const roomType = content('m.room.create').type;
    if (typeof roomType === 'string') chunk.room_type = roomType;
    return chunk;
  }
}

/** The topic's text/plain form: m.topic's text/plain entry, else the legacy `topic`. */
function plainTopic(content: JsonObject): string | undefined {
  const rich = content['m.topic'];
  if (isJsonObject(rich) && Array.isArray(rich['m.text'])) {
    for (const entry of rich['m.text']) {
      if (isJsonObject(entry) && typeof entry.body === 'string' && (entry.mimetype === undefined || entry.mimetype === 'text/plain')) {
        return entry.body;
      }
    }
  }
  return typeof content.topic === 'string' && content.topic !== '' ? content.topic : undefined;
}

function matchesTerm(chunk: JsonObject, term: string): boolean {
  for (const key of ['name', 'topic', 'canonical_alias'] as const) {
    const value = chunk[key];
    if (typeof value === 'string' && value.toLowerCase().includes(term)) return true;
  }
  return false;
}
