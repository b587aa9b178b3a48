import { isValidServerName } from '../../core/auth/identifiers.js';
import type { JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import { ErrCode, MatrixError, forbidden, invalidParam, notFound } from '../errors.js';
import type { Requester } from '../requester.js';
import type { EventLoader } from './event-loader.js';
import { powerView } from './power.js';
import type { RemoteMembership } from './remote-membership.js';
import type { RoomAccess } from './room-access.js';
import type { StateReader } from './state-reader.js';

/**
 * Room aliases (directory.yaml): `#localpart:server` names for rooms. We hold only our own
 * server's aliases; other servers' are resolved through federation (RemoteMembership).
 * Also the m.room.canonical_alias check: every alias it names that is ours must exist and point
 * at the room (M_BAD_ALIAS), and every alias must be well-formed (M_INVALID_PARAM).
 */

const MAX_ALIAS_BYTES = 255;
export const BAD_ALIAS = 'M_BAD_ALIAS';

/** The alias's server name, or undefined when it is not a valid room alias. */
export function aliasServer(alias: string): string | undefined {
  if (!alias.startsWith('#') || Buffer.byteLength(alias, 'utf8') > MAX_ALIAS_BYTES) return undefined;
  const colon = alias.indexOf(':');
  if (colon < 2) return undefined;
  const localpart = alias.slice(1, colon);
  if (/[\s\0]/.test(localpart)) return undefined;
  const server = alias.slice(colon + 1);
  return isValidServerName(server) ? server : undefined;
}

export class RoomAliases {
  /** Set by the federation services (RoomServices.setRemoteMembership). */
  remote: RemoteMembership | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly events: EventLoader,
    private readonly state: StateReader,
    private readonly access: RoomAccess,
    private readonly clock: Clock,
    private readonly serverName: string,
  ) {}

  isLocal(alias: string): boolean {
    return aliasServer(alias) === this.serverName;
  }

  /** PUT /directory/room/{roomAlias}: members of the room map one of our aliases to it. */
  create(requester: Requester, alias: string, roomId: string): void {
    this.requireLocalAlias(alias);
    if (!this.events.versionOf(roomId)) throw notFound('Unknown room');
    this.access.requireJoined(roomId, requester.userId);
    if (!this.storage.aliases.insert(alias, roomId, requester.userId, this.clock.now())) {
      throw new MatrixError(409, ErrCode.ROOM_IN_USE, `Room alias ${alias} already exists`);
    }
  }

  /** Inside room creation's transaction: false when taken. */
  createForNewRoom(alias: string, roomId: string, creator: string): boolean {
    return this.storage.aliases.insert(alias, roomId, creator, this.clock.now());
  }

  /** GET /directory/room/{roomAlias}. */
  async resolve(alias: string): Promise<{ roomId: string; servers: string[] }> {
    const server = aliasServer(alias);
    if (server === undefined) throw invalidParam('Room alias invalid');
    if (server !== this.serverName) {
      const remote = await this.remote?.resolveAlias(alias);
      if (!remote) throw notFound(`Room alias ${alias} not found`);
      return remote;
    }
    const record = this.storage.aliases.get(alias);
    if (!record) throw notFound(`Room alias ${alias} not found`);
    return { roomId: record.roomId, servers: this.residentServers(record.roomId) };
  }

  /**
   * DELETE /directory/room/{roomAlias}: its creator, a server admin, or whoever may change the
   * room's canonical alias. Returns the room it pointed at.
   */
  delete(requester: Requester, alias: string): string {
    this.requireLocalAlias(alias);
    const record = this.storage.aliases.get(alias);
    if (!record) throw notFound(`Room alias ${alias} not found`);
    if (record.creator !== requester.userId && !requester.isAdmin && !this.mayChangeCanonicalAlias(record.roomId, requester.userId)) {
      throw forbidden('You may not delete this alias');
    }
    this.storage.aliases.delete(alias);
    return record.roomId;
  }

  /** GET /rooms/{roomId}/aliases. */
  ofRoom(requester: Requester, roomId: string): string[] {
    if (!requester.isAdmin) this.access.requireJoinedOrWorldReadable(roomId, requester.userId);
    return this.storage.aliases.ofRoom(roomId);
  }

  /** Moves our aliases of one room to another (room upgrades). */
  moveAll(fromRoomId: string, toRoomId: string): string[] {
    const moved = this.storage.aliases.ofRoom(fromRoomId);
    for (const alias of moved) {
      const record = this.storage.aliases.get(alias)!;
      this.storage.aliases.delete(alias);
      this.storage.aliases.insert(alias, toRoomId, record.creator, this.clock.now());
    }
    return moved;
  }

  /** Checks an m.room.canonical_alias content before it is sent. */
  validateCanonicalAlias(roomId: string, content: JsonObject): void {
    const aliases: string[] = [];
    if (Object.hasOwn(content, 'alias') && content.alias !== null) {
      if (typeof content.alias !== 'string') throw invalidParam('alias must be a string');
      aliases.push(content.alias);
    }
    if (Object.hasOwn(content, 'alt_aliases')) {
      const alt = content.alt_aliases;
      if (!Array.isArray(alt) || !alt.every((a) => typeof a === 'string')) throw invalidParam('alt_aliases must be a list of strings');
      aliases.push(...(alt as string[]));
    }
    for (const alias of aliases) {
      const server = aliasServer(alias);
      if (server === undefined) throw invalidParam(`${JSON.stringify(alias)} is not a valid room alias`);
      if (server === this.serverName && this.storage.aliases.get(alias)?.roomId !== roomId) {
        throw new MatrixError(400, BAD_ALIAS, `Room alias ${alias} does not point to this room`);
      }
    }
  }

  /** Our server plus every server with a joined member, ours first. */
  residentServers(roomId: string): string[] {
    const servers = new Set<string>([this.serverName]);
    for (const member of this.storage.memberships.members(roomId, 'join')) {
      const colon = member.userId.indexOf(':');
      if (colon > 0) servers.add(member.userId.slice(colon + 1));
    }
    return [...servers];
  }

  private mayChangeCanonicalAlias(roomId: string, userId: string): boolean {
    const version = this.events.versionOf(roomId);
    if (!version || !this.access.isJoined(roomId, userId)) return false;
    const power = powerView(version, this.state.currentLookup(roomId));
    return power.userLevel(userId) >= power.eventLevel('m.room.canonical_alias', true);
  }

  private requireLocalAlias(alias: string): void {
    const server = aliasServer(alias);
    if (server === undefined) throw invalidParam('Room alias invalid');
    if (server !== this.serverName) throw invalidParam(`Room alias must be on this server (${this.serverName})`);
  }
}
