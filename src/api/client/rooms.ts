import { invalidParam } from '../../services/errors.js';
import { endpoint, queryParam } from '../define.js';
import { ok } from '../endpoint.js';

const MEMBERSHIPS = new Set(['join', 'invite', 'knock', 'leave', 'ban']);

function membershipParam(query: URLSearchParams, name: string): string | undefined {
  const value = queryParam(query, name);
  if (value !== undefined && !MEMBERSHIPS.has(value)) throw invalidParam(`${name} must be one of join, invite, knock, leave, ban`);
  return value;
}

export const getOneRoomEvent = endpoint({
  id: 'getOneRoomEvent',
  method: 'GET',
  path: '/_matrix/client/v3/rooms/{roomId}/event/{eventId}',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/event/{eventId}'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params }) {
    return ok(services.rooms.reads.event(requester, params['roomId']!, params['eventId']!));
  },
});

export const getRoomStateWithKey = endpoint({
  id: 'getRoomStateWithKey',
  method: 'GET',
  path: '/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}',
  aliases: [
    '/_matrix/client/r0/rooms/{roomId}/state/{eventType}/{stateKey}',
    '/_matrix/client/v3/rooms/{roomId}/state/{eventType}',
    '/_matrix/client/r0/rooms/{roomId}/state/{eventType}',
  ],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params, query }) {
    const format = queryParam(query, 'format') ?? 'content';
    if (format !== 'content' && format !== 'event') throw invalidParam('format must be content or event');
    return ok(services.rooms.reads.stateEvent(requester, params['roomId']!, params['eventType']!, params['stateKey'] ?? '', format));
  },
});

export const getRoomState = endpoint({
  id: 'getRoomState',
  method: 'GET',
  path: '/_matrix/client/v3/rooms/{roomId}/state',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/state'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params }) {
    // The spec's response is a bare array of events (so CoAP clients get it as CBOR too).
    return { status: 200, body: services.rooms.reads.state(requester, params['roomId']!) };
  },
});

export const getMembersByRoom = endpoint({
  id: 'getMembersByRoom',
  method: 'GET',
  path: '/_matrix/client/v3/rooms/{roomId}/members',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/members'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params, query }) {
    const chunk = services.rooms.reads.members(requester, params['roomId']!, {
      at: queryParam(query, 'at'),
      membership: membershipParam(query, 'membership'),
      notMembership: membershipParam(query, 'not_membership'),
    });
    return ok({ chunk });
  },
});

export const getJoinedMembersByRoom = endpoint({
  id: 'getJoinedMembersByRoom',
  method: 'GET',
  path: '/_matrix/client/v3/rooms/{roomId}/joined_members',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/joined_members'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params }) {
    return ok(services.rooms.reads.joinedMembers(requester, params['roomId']!));
  },
});

export const roomsEndpoints = [getOneRoomEvent, getRoomStateWithKey, getRoomState, getMembersByRoom, getJoinedMembersByRoom];
