import type { JsonObject } from '../../core/json.js';
import type { StoredEvent } from '../../storage/events-repo.js';
import type { StateEntry } from '../../storage/state-repo.js';
import type { Storage } from '../../storage/storage.js';
import { notFound } from '../errors.js';
import type { Requester } from '../requester.js';
import type { ClientEventSerializer } from '../timeline/client-event.js';
import { parsePaginationToken } from '../timeline/pagination-token.js';
import type { VisibilityChecker } from '../timeline/visibility.js';
import type { EventLoader } from './event-loader.js';
import type { RoomAccess, StateView } from './room-access.js';

/**
 * The read endpoints of rooms.yaml and list_joined_rooms.yaml: one event, one state event, the
 * whole state, members (with `at` and membership filters), joined members, joined rooms.
 * Events go out through the timeline's ClientEventSerializer, the same one /sync uses.
 */

export interface MembersQuery {
  /** A sync prev_batch / next_batch token: the members as of that point. */
  readonly at?: string | undefined;
  readonly membership?: string | undefined;
  readonly notMembership?: string | undefined;
}

export class RoomReads {
  constructor(
    private readonly storage: Storage,
    private readonly events: EventLoader,
    private readonly access: RoomAccess,
    private readonly serializer: ClientEventSerializer,
    private readonly visibility: VisibilityChecker,
  ) {}

  /** GET /rooms/{roomId}/event/{eventId}: 404 unless it exists there and the user may see it. */
  event(requester: Requester, roomId: string, eventId: string): JsonObject {
    const row = this.storage.events.get(eventId);
    const visible = row && row.roomId === roomId && !row.outlier && row.rejectedReason === null && !row.softFailed;
    if (!visible || this.visibility.filter(requester.userId, roomId, [row]).length === 0) {
      throw notFound('Event not found or not visible to you');
    }
    return this.serialize([row], requester)[0]!;
  }

  /** GET /rooms/{roomId}/state/{eventType}/{stateKey}: the content, or the whole event. */
  stateEvent(requester: Requester, roomId: string, type: string, stateKey: string, format: 'content' | 'event'): JsonObject {
    const view = this.access.stateView(roomId, requester.userId);
    const eventId =
      view.kind === 'current'
        ? this.storage.state.current(roomId, type, stateKey)
        : view.group === null
          ? undefined
          : this.storage.state.lookupInGroup(view.group, type, stateKey);
    const row = eventId === undefined ? undefined : this.storage.events.get(eventId);
    if (!row) throw notFound(`No ${type} state with key ${JSON.stringify(stateKey)} in the room`);
    const event = this.serialize([row], requester)[0]!;
    if (format === 'event') return event;
    const content = event['content'];
    return typeof content === 'object' && content !== null && !Array.isArray(content) ? content : {};
  }

  /** GET /rooms/{roomId}/state. */
  state(requester: Requester, roomId: string): JsonObject[] {
    const entries = this.entriesOf(roomId, this.access.stateView(roomId, requester.userId));
    return this.serialize(this.rows(entries.map((e) => e.eventId)), requester);
  }

  /** GET /rooms/{roomId}/members. */
  members(requester: Requester, roomId: string, query: MembersQuery): JsonObject[] {
    let view = this.access.stateView(roomId, requester.userId);
    if (query.at !== undefined && view.kind === 'current') {
      // A sync prev_batch (`t<depth>_<stream>`, topological) or next_batch (`s...`, a stream
      // position): the state after the room's last event at that point.
      const token = parsePaginationToken(query.at);
      const last =
        token.kind === 'topo' ? this.storage.timeline.before(roomId, token.pos, 1)[0] : this.storage.timeline.lastAtOrBefore(roomId, token.stream);
      view = { kind: 'group', group: last?.stateGroup ?? null };
    }
    const members =
      view.kind === 'current'
        ? this.storage.state.currentOfType(roomId, 'm.room.member')
        : view.group === null
          ? []
          : this.storage.state.lookupTypeInGroup(view.group, 'm.room.member');
    const rows = this.rows(members.map((m) => m.eventId)).filter((row) => {
      if (query.membership === undefined && query.notMembership === undefined) return true;
      const membership = this.events.roomEvent(row.eventId)?.content.membership;
      // Both given: an OR, as the spec says.
      if (query.membership !== undefined && membership === query.membership) return true;
      return query.notMembership !== undefined && membership !== query.notMembership;
    });
    return this.serialize(rows, requester);
  }

  /** GET /rooms/{roomId}/joined_members: members with their display names and avatars. */
  joinedMembers(requester: Requester, roomId: string): JsonObject {
    this.access.requireJoinedOrWorldReadable(roomId, requester.userId);
    const joined: JsonObject = {};
    for (const member of this.storage.memberships.members(roomId, 'join')) {
      const content = this.events.roomEvent(member.eventId)?.content ?? {};
      const entry: JsonObject = {};
      if (typeof content.displayname === 'string') entry.display_name = content.displayname;
      if (typeof content.avatar_url === 'string') entry.avatar_url = content.avatar_url;
      joined[member.userId] = entry;
    }
    return { joined };
  }

  /** GET /joined_rooms. */
  joinedRooms(userId: string): string[] {
    return this.storage.memberships.roomsOfUser(userId, 'join');
  }

  private entriesOf(roomId: string, view: StateView): StateEntry[] {
    if (view.kind === 'current') return this.storage.state.currentOfRoom(roomId);
    return view.group === null ? [] : this.storage.state.stateOfGroup(view.group);
  }

  private rows(eventIds: readonly string[]): StoredEvent[] {
    const rows = this.storage.events.getMany(eventIds);
    // Stable output: state in (type, state_key) order.
    return rows.sort((a, b) => compareKeys(a, b));
  }

  private serialize(rows: readonly StoredEvent[], requester: Requester): JsonObject[] {
    return this.serializer.serialize(rows, { viewer: { userId: requester.userId, deviceId: requester.deviceId } });
  }
}

function compareKeys(a: StoredEvent, b: StoredEvent): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  const sa = a.stateKey ?? '';
  const sb = b.stateKey ?? '';
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
