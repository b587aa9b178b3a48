import { missingParam } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { endpoint, queryParam } from '../define.js';

/**
 * Single events and room state (events.yaml, event_auth.yaml): GET /event/{eventId},
 * /event_auth/{roomId}/{eventId}, /state/{roomId} and /state_ids/{roomId}. Only servers in the
 * room (and allowed by its ACL) may read; see services/federation/reads/.
 */

export const getEvent = endpoint({
  id: 'getEvent',
  method: 'GET',
  path: '/_matrix/federation/v1/event/{eventId}',
  auth: 'server',
  rateLimit: 'none',
  async handler({ services, origin, params }) {
    return ok(services.federationEvents.reads.event(origin, params['eventId']!));
  },
});

export const getEventAuth = endpoint({
  id: 'getEventAuth',
  method: 'GET',
  path: '/_matrix/federation/v1/event_auth/{roomId}/{eventId}',
  auth: 'server',
  rateLimit: 'none',
  async handler({ services, origin, params }) {
    return ok(services.federationEvents.reads.eventAuth(origin, params['roomId']!, params['eventId']!));
  },
});

function eventIdParam(query: URLSearchParams): string {
  const eventId = queryParam(query, 'event_id');
  if (eventId === undefined) throw missingParam('Missing event_id');
  return eventId;
}

export const getRoomState = endpoint({
  id: 'getRoomState',
  method: 'GET',
  path: '/_matrix/federation/v1/state/{roomId}',
  auth: 'server',
  rateLimit: 'none',
  async handler({ services, origin, params, query }) {
    return ok(services.federationEvents.reads.state(origin, params['roomId']!, eventIdParam(query)));
  },
});

export const getRoomStateIds = endpoint({
  id: 'getRoomStateIds',
  method: 'GET',
  path: '/_matrix/federation/v1/state_ids/{roomId}',
  auth: 'server',
  rateLimit: 'none',
  async handler({ services, origin, params, query }) {
    return ok(services.federationEvents.reads.stateIds(origin, params['roomId']!, eventIdParam(query)));
  },
});

export const eventEndpoints = [getEvent, getEventAuth, getRoomState, getRoomStateIds];
