import type { JsonObject } from '../../../core/json.js';
import type { Storage } from '../../../storage/storage.js';
import type { EventLoader } from '../../rooms/event-loader.js';
import { federationPdus } from './federation-pdu.js';

/**
 * The state that lets someone recognise a room before joining it ("Stripped state"): sent as
 * invite_room_state with an invite and as knock_room_state after a knock. Since v1.16 these are
 * full PDUs and MUST include m.room.create; the receiving server strips them for its clients.
 */

/** Synapse's default room_prejoin_state, create event first. */
const PREJOIN_TYPES = [
  'm.room.create',
  'm.room.join_rules',
  'm.room.name',
  'm.room.avatar',
  'm.room.canonical_alias',
  'm.room.encryption',
  'm.room.topic',
  'm.space.parent',
];

/** The room's current prejoin state as PDUs, plus the member event of `sender` (who invited). */
export function prejoinStatePdus(storage: Storage, loader: EventLoader, roomId: string, sender?: string): JsonObject[] {
  const ids: string[] = [];
  for (const type of PREJOIN_TYPES) {
    if (type === 'm.space.parent') {
      for (const entry of storage.state.currentOfType(roomId, type)) ids.push(entry.eventId);
      continue;
    }
    const id = storage.state.current(roomId, type, '');
    if (id !== undefined) ids.push(id);
  }
  if (sender !== undefined) {
    const member = storage.state.current(roomId, 'm.room.member', sender);
    if (member !== undefined) ids.push(member);
  }
  return federationPdus(loader, ids);
}
