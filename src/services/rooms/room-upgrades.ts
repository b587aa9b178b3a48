import { isJsonObject, type JsonObject } from '../../core/json.js';
import { roomVersion } from '../../core/room-versions.js';
import { creatorsOf } from '../../core/auth/index.js';
import type { Storage } from '../../storage/storage.js';
import { ErrCode, MatrixError, forbidden } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Requester } from '../requester.js';
import type { EventCreator } from './event-creator.js';
import type { EventLoader } from './event-loader.js';
import { powerView } from './power.js';
import type { RoomAccess } from './room-access.js';
import type { RoomAliases } from './room-aliases.js';
import type { InitialStateEvent, RoomCreation } from './room-creation.js';
import type { StateReader } from './state-reader.js';

/**
 * POST /rooms/{roomId}/upgrade (room_upgrades.yaml, "Room Upgrades"): a new room of the new
 * version with the old room's important state copied (name, topic, avatar, join rules, history
 * visibility, guest access, encryption, server ACL, power levels, bans), our aliases and the
 * directory listing moved over, then an m.room.tombstone in the old room and its power levels
 * raised so ordinary members can no longer talk or invite there. All in one transaction.
 */

/** State keys (with '' state_key) copied into the replacement room. */
const COPIED_STATE = [
  'm.room.server_acl',
  'm.room.encryption',
  'm.room.name',
  'm.room.join_rules',
  'm.room.topic',
  'm.room.guest_access',
  'm.room.history_visibility',
  'm.room.avatar',
];

export class RoomUpgrades {
  constructor(
    private readonly storage: Storage,
    private readonly events: EventLoader,
    private readonly state: StateReader,
    private readonly creator: EventCreator,
    private readonly creation: RoomCreation,
    private readonly aliases: RoomAliases,
    private readonly access: RoomAccess,
    private readonly log: Logger,
  ) {}

  upgrade(requester: Requester, roomId: string, newVersionId: string, additionalCreators: readonly string[] = []): string {
    const newVersion = roomVersion(newVersionId);
    if (!newVersion) throw new MatrixError(400, ErrCode.UNSUPPORTED_ROOM_VERSION, `Room version ${newVersionId} is not supported`);
    const oldVersion = this.events.versionOf(roomId);
    if (!oldVersion) throw forbidden(`Unknown room ${roomId}`);
    this.access.requireJoined(roomId, requester.userId);
    const lookup = this.state.currentLookup(roomId);
    const power = powerView(oldVersion, lookup);
    if (power.userLevel(requester.userId) < power.eventLevel('m.room.tombstone', true)) {
      throw forbidden('You may not upgrade this room (m.room.tombstone needs a higher power level)');
    }

    const oldCreate = lookup('m.room.create', '')!;
    const content = (type: string): JsonObject | undefined => lookup(type, '')?.content;
    const createContent: JsonObject = { predecessor: { room_id: roomId } };
    const lastEvent = this.storage.events.forwardExtremities(roomId)[0];
    if (lastEvent) (createContent.predecessor as JsonObject).event_id = lastEvent.eventId;
    for (const key of ['type', 'm.federate'] as const) {
      if (Object.hasOwn(oldCreate.content, key)) createContent[key] = oldCreate.content[key]!;
    }
    if (newVersion.privilegedCreators && additionalCreators.length > 0) createContent.additional_creators = [...additionalCreators];

    const copied: InitialStateEvent[] = [];
    copied.push({ type: 'm.room.power_levels', content: this.newPowerLevels(requester.userId, content('m.room.power_levels'), [...creatorsOf(oldVersion, oldCreate)], newVersion.privilegedCreators, additionalCreators) });
    for (const type of COPIED_STATE) {
      const value = content(type);
      if (value) copied.push({ type, content: value });
    }
    for (const member of this.storage.memberships.members(roomId, 'ban')) {
      const reason = this.events.roomEvent(member.eventId)?.content.reason;
      copied.push({ type: 'm.room.member', state_key: member.userId, content: typeof reason === 'string' ? { membership: 'ban', reason } : { membership: 'ban' } });
    }

    const wasPublic = this.storage.rooms.get(roomId)?.isPublic ?? false;
    return this.creator.batch((emit) => {
      const newRoomId = this.creation.createLocally(requester, { room_version: newVersion.id, creation_content: createContent }, { copiedState: copied });

      const moved = this.aliases.moveAll(roomId, newRoomId);
      const canonical = content('m.room.canonical_alias');
      const send = (room: string, type: string, body: JsonObject): void => {
        emit({ template: { type, state_key: '', sender: requester.userId, content: body, room_id: room }, deviceId: requester.deviceId });
      };
      if (canonical && (typeof canonical.alias === 'string' || Array.isArray(canonical.alt_aliases))) {
        // The aliases now point at the new room: its canonical alias names them, the old one's no longer does.
        send(newRoomId, 'm.room.canonical_alias', canonical);
        if (moved.length > 0 && power.userLevel(requester.userId) >= power.eventLevel('m.room.canonical_alias', true)) {
          send(roomId, 'm.room.canonical_alias', {});
        }
      }
      if (wasPublic) {
        this.storage.rooms.setPublic(newRoomId, true);
        this.storage.rooms.setPublic(roomId, false);
      }

      send(roomId, 'm.room.tombstone', { body: 'This room has been replaced', replacement_room: newRoomId });

      const oldPl = content('m.room.power_levels');
      if (oldPl && power.userLevel(requester.userId) >= power.eventLevel('m.room.power_levels', true)) {
        const restricted = restrictedPowerLevels(oldPl);
        if (restricted) send(roomId, 'm.room.power_levels', restricted);
      } else {
        this.log.info({ roomId }, 'room upgrade: not allowed to restrict the old room\'s power levels');
      }
      return newRoomId;
    });
  }

  /**
   * The replacement room's power levels: the old ones, with the upgrader able to send all the
   * copied state. Creators of a v12+ room have infinite power and must not be listed; coming
   * from such a room into an older version, the old creators keep 100.
   */
  private newPowerLevels(
    userId: string,
    old: JsonObject | undefined,
    oldCreators: readonly string[],
    privileged: boolean,
    additionalCreators: readonly string[],
  ): JsonObject {
    const pl: JsonObject = { ...(old ?? {}) };
    const users: JsonObject = isJsonObject(pl.users) ? { ...pl.users } : {};
    if (privileged) {
      for (const creator of [userId, ...additionalCreators]) delete users[creator];
    } else {
      for (const creator of oldCreators) if (!Object.hasOwn(users, creator)) users[creator] = 100;
      users[userId] = Math.max(100, highestLevel(pl), typeof users[userId] === 'number' ? users[userId] : 0);
    }
    pl.users = users;
    return pl;
  }
}

/** The highest number anywhere in a power levels content (fields, events, users). */
function highestLevel(pl: JsonObject): number {
  let max = 0;
  const visit = (value: unknown): void => {
    if (typeof value === 'number' && Number.isFinite(value)) max = Math.max(max, value);
    else if (isJsonObject(value)) for (const v of Object.values(value)) visit(v);
  };
  visit(pl);
  return max;
}

/**
 * Old room power levels after an upgrade: events_default and invite raised to
 * max(50, users_default + 1) so ordinary members can neither talk nor invite (Synapse's rule).
 * Undefined when they already are.
 */
function restrictedPowerLevels(pl: JsonObject): JsonObject | undefined {
  const usersDefault = typeof pl.users_default === 'number' ? pl.users_default : 0;
  const restricted = Math.max(50, usersDefault + 1);
  const eventsDefault = typeof pl.events_default === 'number' ? pl.events_default : 0;
  const invite = typeof pl.invite === 'number' ? pl.invite : 0;
  if (eventsDefault >= restricted && invite >= restricted) return undefined;
  return { ...pl, events_default: Math.max(eventsDefault, restricted), invite: Math.max(invite, restricted) };
}
