import { isJsonObject, type JsonObject } from '../../../core/json.js';
import { notFound } from '../../errors.js';
import { serverOfUserId } from '../../user-ids.js';
import type { MembershipContext } from './context.js';

/**
 * GET /_matrix/federation/v1/hierarchy/{roomId} (Spaces): a space and its direct children, for a
 * server that wants to show it to its users. A room is shown to the requesting server when it
 * could peek or join it: world-readable, joinable or knockable by anyone, it already has members
 * there, or (restricted rooms) it has members in one of the allowed rooms. Children we know nothing of are left out; children it cannot see are named in
 * inaccessible_children.
 */

const OPEN_JOIN_RULES = new Set(['public', 'knock', 'knock_restricted']);

export class SpaceHierarchy {
  constructor(private readonly ctx: MembershipContext) {}

  hierarchy(roomId: string, origin: string, suggestedOnly: boolean): JsonObject {
    if (!this.known(roomId) || !this.accessible(roomId, origin)) throw notFound('Unknown room or not accessible');
    const childrenState = this.childEvents(roomId, suggestedOnly);
    const children: JsonObject[] = [];
    const inaccessible: string[] = [];
    for (const child of childrenState) {
      const childId = child.state_key as string;
      if (childId === roomId || !this.known(childId)) continue;
      if (this.accessible(childId, origin)) children.push(this.summary(childId));
      else inaccessible.push(childId);
    }
    return {
      room: { ...this.summary(roomId), children_state: childrenState },
      children,
      inaccessible_children: inaccessible,
    };
  }

  /** A room we hold the state of. */
  known(roomId: string): boolean {
    return this.ctx.rooms.membership.participating(roomId);
  }

  private accessible(roomId: string, origin: string): boolean {
    const { rooms } = this.ctx;
    if (rooms.access.isWorldReadable(roomId)) return true;
    const joinRules = rooms.state.currentLookup(roomId)('m.room.join_rules', '')?.content;
    const joinRule = joinRules?.join_rule;
    if (typeof joinRule === 'string' && OPEN_JOIN_RULES.has(joinRule)) return true;
    if (this.hasMemberFrom(roomId, origin)) return true;
    // Restricted: the origin's users may be entitled when it is in one of the allowed rooms.
    if (joinRule === 'restricted' && Array.isArray(joinRules?.allow)) {
      return joinRules.allow.some((a) => isJsonObject(a) && typeof a.room_id === 'string' && this.hasMemberFrom(a.room_id, origin));
    }
    return false;
  }

  private hasMemberFrom(roomId: string, origin: string): boolean {
    return this.ctx.storage.memberships.members(roomId, 'join').some((m) => serverOfUserId(m.userId) === origin);
  }

  /** The room's summary, with the fields only the hierarchy adds. */
  summary(roomId: string): JsonObject {
    const { rooms } = this.ctx;
    const summary = rooms.directory.summary(roomId);
    const version = rooms.loader.versionOf(roomId);
    if (version) summary.room_version = version.id;
    const lookup = rooms.state.currentLookup(roomId);
    const algorithm = lookup('m.room.encryption', '')?.content.algorithm;
    if (algorithm === 'm.megolm.v1.aes-sha2') summary.encryption = algorithm;
    const joinRules = lookup('m.room.join_rules', '')?.content;
    if (joinRules && (joinRules.join_rule === 'restricted' || joinRules.join_rule === 'knock_restricted') && Array.isArray(joinRules.allow)) {
      summary.allowed_room_ids = joinRules.allow.flatMap((a) => (isJsonObject(a) && a.type === 'm.room_membership' && typeof a.room_id === 'string' ? [a.room_id] : []));
    }
    return summary;
  }

  /** The space's m.space.child events (those with a `via`), stripped, with origin_server_ts. */
  childEvents(roomId: string, suggestedOnly: boolean): JsonObject[] {
    const { rooms, storage } = this.ctx;
    const out: JsonObject[] = [];
    for (const entry of storage.state.currentOfType(roomId, 'm.space.child')) {
      const event = rooms.loader.acceptedRoomEvent(entry.eventId);
      if (!event || event.state_key === undefined) continue;
      const via = event.content.via;
      if (!Array.isArray(via) || via.length === 0) continue;
      if (suggestedOnly && event.content.suggested !== true) continue;
      out.push({ type: event.type, state_key: event.state_key, content: event.content, sender: event.sender, origin_server_ts: event.origin_server_ts });
    }
    return out;
  }
}
