/**
 * The sync filter a CoAP client gets when it syncs without one (request-handler.ts adds it as
 * the `filter` query parameter), so that a typical Observe notification — one new message in one
 * room — fits one datagram without block-wise transfer.
 *
 * Data only: the sync engine (src/services/sync) applies it like any inline filter. A constrained
 * client that wants everything passes its own filter (`filter={}` included).
 *
 * - timeline: the last 2 events, only messages and sensor commands (what a sensor reacts to);
 * - state: only the members who sent those events (lazy loading), nothing else;
 * - no presence, no account data, no ephemeral events (typing, receipts), no unread counts
 *   (a Lattice filter extension, see services/sync/filter.ts);
 * - events trimmed to type, content, sender and state_key: no event_id, origin_server_ts,
 *   unsigned or hashes, which are most of an event's bytes.
 */

import type { JsonObject } from '../../core/json.js';

/** The event type a sensor's owner sends to command it (any m.room.message works too). */
export const SENSOR_COMMAND_EVENT_TYPE = 'org.lattice.sensor.command';

const NOTHING: JsonObject = { not_types: ['*'] };

export const LEAN_SYNC_FILTER: JsonObject = {
  event_fields: ['type', 'content', 'sender', 'state_key'],
  presence: NOTHING,
  account_data: NOTHING,
  room: {
    timeline: { limit: 2, types: ['m.room.message', SENSOR_COMMAND_EVENT_TYPE], lazy_load_members: true },
    state: { lazy_load_members: true, types: ['m.room.member'] },
    ephemeral: NOTHING,
    account_data: NOTHING,
    include_leave: false,
    'org.lattice.unread_notifications': false,
  },
};

export const LEAN_SYNC_FILTER_JSON = JSON.stringify(LEAN_SYNC_FILTER);
