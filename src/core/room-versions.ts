import { ProtocolError } from './errors.js';

/**
 * The room-version table: one record per version holding every rule that differs between
 * versions. Everything version-dependent in the core asks this table, never the version string.
 * Facts come from the spec's content/rooms/v1..v12 pages (see shared/spec/vectors/room-versions.json).
 */

export type EventIdFormat =
  /** `$opaque:server`, carried in the PDU's event_id field (v1, v2). */
  | 'explicit'
  /** `$` + unpadded standard base64 of the reference hash (v3). */
  | 'hash-base64'
  /** `$` + unpadded URL-safe base64 of the reference hash (v4+). */
  | 'hash-base64url';

export type RedactionRules = 'v1' | 'v6' | 'v8' | 'v9' | 'v11';
export type StateResAlgorithm = 'v1' | 'v2' | 'v2.1';

export interface RoomVersion {
  readonly id: string;
  readonly eventIdFormat: EventIdFormat;
  /** prev_events/auth_events as `[event_id, {sha256}]` pairs (v1, v2) rather than plain IDs. */
  readonly eventRefsArePairs: boolean;
  readonly redaction: RedactionRules;
  readonly stateRes: StateResAlgorithm;
  /** Largest allowed `depth`: 2^63-1 before v6 (approximated by the nearest double), 2^53-1 from v6. */
  readonly maxDepth: number;
  /** Floats and integers outside ±(2^53-1) make a PDU invalid (v6+). */
  readonly strictCanonicalJson: boolean;
  /** Check the signing key was valid at origin_server_ts (v5+). */
  readonly enforceKeyValidity: boolean;
  /** m.room.redaction needs the sender's domain to match the redacted event's (v1, v2). */
  readonly redactionDomainAuthRule: boolean;
  /** m.room.aliases has its own auth rule (v1-v5); later it is an ordinary state event. */
  readonly aliasesAuthRule: boolean;
  /** power_levels `notifications` changes are checked like other levels (v6+). */
  readonly notificationsInPowerLevelAuth: boolean;
  /** Power-level values must be JSON integers (v10+); earlier they may be numeric strings. */
  readonly integerPowerLevels: boolean;
  readonly knocking: boolean;
  readonly restrictedJoins: boolean;
  readonly knockRestricted: boolean;
  /** The room creator is the create event's sender (v11+), not `content.creator`. */
  readonly creatorIsSender: boolean;
  /** `redacts` lives in `content` (v11+) rather than at the top level. */
  readonly redactsInContent: boolean;
  /**
   * v12: the room ID is derived from the create event, which has no room_id and is never listed
   * in auth_events; creators (sender + additional_creators) have infinite power.
   */
  readonly roomIdFromCreateEvent: boolean;
  readonly privilegedCreators: boolean;
}

const base: Omit<RoomVersion, 'id'> = {
  eventIdFormat: 'explicit',
  eventRefsArePairs: true,
  redaction: 'v1',
  stateRes: 'v1',
  maxDepth: 2 ** 63 - 1,
  strictCanonicalJson: false,
  enforceKeyValidity: false,
  redactionDomainAuthRule: true,
  aliasesAuthRule: true,
  notificationsInPowerLevelAuth: false,
  integerPowerLevels: false,
  knocking: false,
  restrictedJoins: false,
  knockRestricted: false,
  creatorIsSender: false,
  redactsInContent: false,
  roomIdFromCreateEvent: false,
  privilegedCreators: false,
};

const v1: RoomVersion = { ...base, id: '1' };
const v2: RoomVersion = { ...v1, id: '2', stateRes: 'v2' };
const v3: RoomVersion = {
  ...v2,
  id: '3',
  eventIdFormat: 'hash-base64',
  eventRefsArePairs: false,
  redactionDomainAuthRule: false,
};
const v4: RoomVersion = { ...v3, id: '4', eventIdFormat: 'hash-base64url' };
const v5: RoomVersion = { ...v4, id: '5', enforceKeyValidity: true };
const v6: RoomVersion = {
  ...v5,
  id: '6',
  redaction: 'v6',
  maxDepth: Number.MAX_SAFE_INTEGER,
  strictCanonicalJson: true,
  aliasesAuthRule: false,
  notificationsInPowerLevelAuth: true,
};
const v7: RoomVersion = { ...v6, id: '7', knocking: true };
const v8: RoomVersion = { ...v7, id: '8', redaction: 'v8', restrictedJoins: true };
const v9: RoomVersion = { ...v8, id: '9', redaction: 'v9' };
const v10: RoomVersion = { ...v9, id: '10', integerPowerLevels: true, knockRestricted: true };
const v11: RoomVersion = { ...v10, id: '11', redaction: 'v11', creatorIsSender: true, redactsInContent: true };
const v12: RoomVersion = {
  ...v11,
  id: '12',
  stateRes: 'v2.1',
  roomIdFromCreateEvent: true,
  privilegedCreators: true,
};

const table: ReadonlyMap<string, RoomVersion> = new Map(
  [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12].map((v) => [v.id, Object.freeze(v)]),
);

export const DEFAULT_ROOM_VERSION = '12';
export const SUPPORTED_ROOM_VERSIONS: readonly string[] = [...table.keys()];

export function roomVersion(id: string): RoomVersion | undefined {
  return table.get(id);
}

export class UnsupportedRoomVersionError extends ProtocolError {
  override name = 'UnsupportedRoomVersionError';
  constructor(readonly roomVersionId: string) {
    super(`unsupported room version ${JSON.stringify(roomVersionId)}`);
  }
}

export function requireRoomVersion(id: string): RoomVersion {
  const v = table.get(id);
  if (!v) throw new UnsupportedRoomVersionError(id);
  return v;
}
