import type { Pdu } from '../../../core/events/pdu.js';
import { splitStateTupleKey, stateTupleKey, type StateMap } from '../../../core/events/room-event.js';
import type { JsonObject } from '../../../core/json.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { serverOfUserId } from '../../user-ids.js';
import { authChainIds } from './auth-chain-reader.js';
import type { MembershipContext } from './context.js';
import { federationPdu, federationPdus } from './federation-pdu.js';

/** The m.heroes of a room summary: at most this many members. */
const MAX_HEROES = 5;

/**
 * send_join's answer: the room state before the join, the auth chain of that state and of the
 * join, and the join as we accepted it (with our signature, for a restricted join).
 *
 * With omit_members ("faster joins", MSC3706) membership events are left out of the state,
 * except those of the members a client would show as the room's heroes when the room has no
 * name and no canonical alias; the auth chain then only covers what is returned, minus events
 * already in `state`; servers_in_room says who else can fill in the rest.
 */
export function sendJoinResponse(
  ctx: MembershipContext,
  version: RoomVersion,
  roomId: string,
  joinEventId: string,
  joinPdu: Pdu,
  omitMembers: boolean,
): JsonObject {
  const { storage, rooms } = ctx;
  const row = storage.events.get(joinEventId)!;
  const joiner = joinPdu.state_key!;

  // The state after the join, with the joiner's key put back as it was before.
  const state = rooms.state.stateMapOfGroup(row.stateGroup);
  const memberKey = stateTupleKey('m.room.member', joiner);
  if (row.replacesState !== null) state.set(memberKey, row.replacesState);
  else state.delete(memberKey);

  let stateIds: string[];
  if (omitMembers) {
    const heroes = needsHeroes(state) ? heroesOf(ctx, roomId, joiner) : new Set<string>();
    stateIds = [];
    for (const [key, id] of state) {
      const [type, stateKey] = splitStateTupleKey(key);
      if (type !== 'm.room.member' || heroes.has(stateKey)) stateIds.push(id);
    }
  } else {
    stateIds = [...state.values()];
  }

  const chain = authChainIds(rooms.loader, version, [...stateIds, joinEventId]);
  if (omitMembers) for (const id of stateIds) chain.delete(id);
  chain.delete(joinEventId);

  const response: JsonObject = {
    state: federationPdus(rooms.loader, stateIds),
    auth_chain: federationPdus(rooms.loader, chain),
    event: federationPdu(joinPdu),
    members_omitted: omitMembers,
  };
  if (omitMembers) response.servers_in_room = serversIn(ctx, state);
  return response;
}

/** Servers with a joined member in `state` (before the join). */
function serversIn(ctx: MembershipContext, state: StateMap): string[] {
  const servers = new Set<string>();
  for (const [key, id] of state) {
    const [type, stateKey] = splitStateTupleKey(key);
    if (type !== 'm.room.member') continue;
    const server = serverOfUserId(stateKey);
    if (server !== undefined && !servers.has(server) && ctx.rooms.loader.roomEvent(id)?.content.membership === 'join') servers.add(server);
  }
  return [...servers];
}

function needsHeroes(state: StateMap): boolean {
  return !state.has(stateTupleKey('m.room.name', '')) && !state.has(stateTupleKey('m.room.canonical_alias', ''));
}

/** The members a client would name the room after (joined or invited, the joiner aside). */
function heroesOf(ctx: MembershipContext, roomId: string, joiner: string): Set<string> {
  const candidates = ctx.storage.memberships
    .members(roomId)
    .filter((m) => (m.membership === 'join' || m.membership === 'invite') && m.userId !== joiner)
    .map((m) => m.userId)
    .sort();
  return new Set(candidates.slice(0, MAX_HEROES));
}
