import type { AuthStateLookup } from '../auth/result.js';
import { authEventsSelection } from '../auth/auth-events-selection.js';
import { ProtocolError } from '../errors.js';
import type { JsonObject } from '../json.js';
import type { RoomVersion } from '../room-versions.js';
import type { SigningKey } from '../signing.js';
import { computeEventId, mintOpaqueEventId } from './event-id.js';
import { toRoomEvent, type EventReferencePair, type Pdu } from './pdu.js';
import type { EventJson } from './redaction.js';
import type { RoomEvent } from './room-event.js';
import { hashAndSignEvent } from './signing.js';

/**
 * Building a local PDU (server-server "Creating events"): the sending server picks the
 * prev_events (its forward extremities), the auth_events (the auth events selection over the
 * state the event is built on), the depth, then hashes and signs. Pure: the clock reading and,
 * for v1/v2, the randomness of the event ID come from the caller.
 */

export class EventBuildError extends ProtocolError {
  override name = 'EventBuildError';
}

/** What a client (or the room service) asks for; everything else is filled in here. */
export interface EventTemplate {
  readonly type: string;
  /** Present (possibly "") exactly for state events. */
  readonly state_key?: string;
  readonly sender: string;
  readonly content: JsonObject;
  /** Required, except for a v12 m.room.create (whose room ID is derived from its event ID). */
  readonly room_id?: string;
  /** m.room.redaction: the redacted event. Placed at the top level before v11, in content from v11. */
  readonly redacts?: string;
}

/** A prev event as the builder needs it: its ID and depth. */
export interface PrevEventRef {
  readonly event_id: string;
  readonly depth: number;
}

export interface BuildEventOptions {
  readonly version: RoomVersion;
  /** Our server name: the signing entity (and the event ID's domain in v1/v2). */
  readonly origin: string;
  readonly key: SigningKey;
  readonly originServerTs: number;
  /** The events this one follows (normally the room's forward extremities); none for m.room.create. */
  readonly prevEvents: readonly PrevEventRef[];
  /** The state the event is built on; its auth events are picked from here. */
  readonly state: AuthStateLookup;
  /** v1/v2 only: the base64 reference hash of a prev or auth event (for `[id, {sha256}]` pairs). */
  readonly referenceHash?: (eventId: string) => string;
  /** v1/v2 only: randomness for the opaque event ID (at least 8 bytes; 18 is plenty). */
  readonly randomBytes?: Uint8Array;
}

export interface BuiltEvent {
  /** The signed PDU, ready to persist and send. */
  readonly pdu: Pdu;
  readonly eventId: string;
  /** The same event as the auth rules see it (room_id filled in for a v12 create). */
  readonly event: RoomEvent;
}

/**
 * Builds, hashes and signs a local event. Auth events are the selection's pairs that exist in
 * `state`; whether the event is *allowed* is for the auth rules to say afterwards. Depth is one
 * more than the deepest prev event, capped at the version's maximum.
 */
export function buildEvent(template: EventTemplate, options: BuildEventOptions): BuiltEvent {
  const { version } = options;
  const isV12Create = version.roomIdFromCreateEvent && template.type === 'm.room.create';
  if (!isV12Create && template.room_id === undefined) throw new EventBuildError('room_id is required');
  if (isV12Create && template.room_id !== undefined) throw new EventBuildError('a v12 m.room.create has no room_id');

  let depth = 0;
  for (const prev of options.prevEvents) if (prev.depth > depth) depth = prev.depth;
  depth = Math.min(depth + 1, version.maxDepth);

  const authIds: string[] = [];
  for (const [type, stateKey] of authEventsSelection(version, template)) {
    const authEvent = options.state(type, stateKey);
    if (authEvent) authIds.push(authEvent.event_id);
  }
  const prevIds = options.prevEvents.map((prev) => prev.event_id);

  let content = template.content;
  const pdu: Record<string, EventJson[string]> = {};
  if (template.room_id !== undefined) pdu.room_id = template.room_id;
  pdu.type = template.type;
  if (template.state_key !== undefined) pdu.state_key = template.state_key;
  pdu.sender = template.sender;
  pdu.origin_server_ts = options.originServerTs;
  pdu.depth = depth;
  if (template.redacts !== undefined) {
    if (version.redactsInContent) content = { ...content, redacts: template.redacts };
    else pdu.redacts = template.redacts;
  }
  pdu.content = content;

  if (version.eventRefsArePairs) {
    const hashOf = options.referenceHash;
    const pair = (id: string): EventReferencePair => {
      if (!hashOf) throw new EventBuildError(`room version ${version.id} needs reference hashes for prev/auth events`);
      return [id, { sha256: hashOf(id) }];
    };
    pdu.prev_events = prevIds.map(pair);
    pdu.auth_events = authIds.map(pair);
  } else {
    pdu.prev_events = prevIds;
    pdu.auth_events = authIds;
  }

  if (version.eventIdFormat === 'explicit') {
    if (!options.randomBytes) throw new EventBuildError(`room version ${version.id} needs random bytes for the event ID`);
    pdu.event_id = mintOpaqueEventId(options.randomBytes, options.origin);
  }

  const signed = hashAndSignEvent(pdu, options.origin, options.key, version) as EventJson as Pdu;
  const eventId = computeEventId(signed, version);
  return { pdu: signed, eventId, event: toRoomEvent(signed, version, eventId) };
}
