import type { JsonObject } from '../../core/json.js';
import type { SyncContext } from './context.js';
import { strippedState } from '../timeline/client-event.js';

/**
 * Rooms the user is invited to or has knocked on: no timeline, only stripped state (spec
 * "Stripped state") so a client can show the room before joining. Remote invites carry their
 * state in the event's `unsigned.invite_room_state` (knocks: `knock_room_state`); for rooms we
 * hold, it is read from the current state. The membership event itself comes last, in full,
 * so clients know who invited them (as Synapse does).
 */

/** Synapse's default `room_prejoin_state`. */
const PREJOIN_TYPES = ['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic'];

export function strippedRoomState(ctx: SyncContext, roomId: string, membershipEventId: string, carriedKey: 'invite_room_state' | 'knock_room_state'): JsonObject[] {
  const { storage, serializer } = ctx.deps;
  const membership = storage.timeline.getStateEvents([membershipEventId]).get(membershipEventId);
  if (!membership) return [];
  const options = { viewer: { userId: ctx.userId, deviceId: ctx.deviceId }, omitRoomId: true };
  const [memberEvent] = serializer.serialize([membership], options);

  const pdu = JSON.parse(membership.json) as { unsigned?: Record<string, unknown> };
  const carried = pdu.unsigned?.[carriedKey];
  let state: JsonObject[];
  if (Array.isArray(carried)) {
    state = carried.filter((e): e is JsonObject => typeof e === 'object' && e !== null && !Array.isArray(e)).map(strippedState);
  } else {
    const ids: string[] = [];
    for (const type of PREJOIN_TYPES) {
      const id = storage.state.current(roomId, type, '');
      if (id !== undefined) ids.push(id);
    }
    const inviter = storage.state.current(roomId, 'm.room.member', membership.sender);
    if (inviter !== undefined && membership.sender !== ctx.userId) ids.push(inviter);
    const loaded = storage.timeline.getStateEvents(ids);
    state = serializer.serialize(ids.map((id) => loaded.get(id)).filter((e) => e !== undefined), options).map(strippedState);
  }
  return memberEvent ? [...state, memberEvent] : state;
}
