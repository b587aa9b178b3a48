import { isValidUserId } from '../../core/auth/identifiers.js';
import { toRoomEvent, validatePdu } from '../../core/events/pdu.js';
import type { JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import { ErrCode, MatrixError, forbidden, invalidParam, notFound } from '../errors.js';
import type { ProfileService } from '../profile.js';
import type { Requester } from '../requester.js';
import { serverOfUserId } from '../user-ids.js';
import type { EventCreator } from './event-creator.js';
import type { EventPersister } from './event-persister.js';
import type { RemoteMembership } from './remote-membership.js';
import type { RoomAccess } from './room-access.js';
import type { RoomAliases } from './room-aliases.js';

/**
 * Membership changes (joining, inviting, leaving, kicking, banning, knocking .yaml): each is an
 * m.room.member event the auth rules judge; this service picks the content (profile, reason),
 * answers the cases the rules do not name with the spec's errors, and hands rooms this server
 * is not in to RemoteMembership (federation).
 */

export interface JoinOptions {
  readonly reason?: string | undefined;
  /** Servers to join through (`via` / `server_name`). */
  readonly servers?: readonly string[] | undefined;
}

/** 404 M_UNKNOWN, Synapse's answer for a room no known server can reach. */
const noKnownServers = (): MatrixError => new MatrixError(404, ErrCode.UNKNOWN, 'No known servers');

export class RoomMembership {
  /** Set by the federation services (RoomServices.setRemoteMembership). */
  remote: RemoteMembership | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly creator: EventCreator,
    private readonly persister: EventPersister,
    private readonly access: RoomAccess,
    private readonly aliases: RoomAliases,
    private readonly profiles: ProfileService,
    private readonly serverName: string,
  ) {}

  /** POST /join/{roomIdOrAlias} and /rooms/{roomId}/join. Returns the room ID. */
  async join(requester: Requester, roomIdOrAlias: string, options: JoinOptions = {}): Promise<string> {
    const { roomId, servers } = await this.resolveTarget(roomIdOrAlias, options.servers);
    if (!this.participating(roomId) || this.onlyRemoteMembersLeft(roomId)) {
      if (!this.remote) {
        if (this.participating(roomId)) this.sendOwn(requester, roomId, 'join', options.reason);
        else throw noKnownServers();
        return roomId;
      }
      const content = this.ownContent(requester.userId, 'join', options.reason);
      return (await this.remote.join({ userId: requester.userId, roomId, servers, content })).roomId;
    }
    if (this.access.membership(roomId, requester.userId) === 'join') return roomId;
    this.sendOwn(requester, roomId, 'join', options.reason);
    return roomId;
  }

  /** POST /knock/{roomIdOrAlias}. Returns the room ID. */
  async knock(requester: Requester, roomIdOrAlias: string, options: JoinOptions = {}): Promise<string> {
    const { roomId, servers } = await this.resolveTarget(roomIdOrAlias, options.servers);
    if (!this.participating(roomId)) {
      if (!this.remote) throw notFound('Unknown room');
      const content = this.ownContent(requester.userId, 'knock', options.reason);
      return (await this.remote.knock({ userId: requester.userId, roomId, servers, content })).roomId;
    }
    this.sendOwn(requester, roomId, 'knock', options.reason);
    return roomId;
  }

  /** POST /rooms/{roomId}/invite. */
  async invite(requester: Requester, roomId: string, userId: string, reason?: string): Promise<void> {
    if (!isValidUserId(userId)) throw invalidParam(`${JSON.stringify(userId)} is not a user ID`);
    this.requireParticipating(roomId);
    this.access.requireJoined(roomId, requester.userId);
    const target = this.access.membership(roomId, userId);
    if (target === 'join') throw forbidden(`${userId} is already in the room`);
    if (target === 'ban') throw forbidden(`${userId} is banned from the room`);

    const content = this.inviteContent(userId, reason);
    const template = { type: 'm.room.member', state_key: userId, sender: requester.userId, content, room_id: roomId };
    if (serverOfUserId(userId) === this.serverName) {
      if (!this.storage.accounts.get(userId)) throw notFound(`Unknown user ${userId}`);
      this.creator.create({ template, deviceId: requester.deviceId });
      return;
    }
    // Another server's user: it must countersign the invite before it goes into the DAG.
    if (!this.remote) throw forbidden('Inviting users on other servers needs federation, which is not available');
    const built = this.creator.buildDetached({ template });
    const signed = await this.remote.invite(roomId, built.version.id, built.pdu);
    const pdu = validatePdu(signed, built.version);
    const outcome = this.persister.persist({
      pdu,
      event: toRoomEvent(pdu, built.version),
      version: built.version,
      local: { deviceId: requester.deviceId, txnId: null },
    });
    if (outcome.status === 'rejected' || outcome.status === 'soft_failed') throw forbidden(outcome.rejectedReason ?? 'Invite not allowed');
  }

  /** POST /rooms/{roomId}/leave: leave, reject an invite, or withdraw a knock. */
  async leave(requester: Requester, roomId: string, reason?: string): Promise<void> {
    const membership = this.access.membership(roomId, requester.userId);
    if (!this.participating(roomId)) {
      // An invite (or knock) in a room we are not in: only its servers can take it back.
      if (membership === undefined) throw notFound('Unknown room');
      if (membership === 'leave' || membership === 'ban') return;
      if (!this.remote) throw noKnownServers();
      const content = this.ownContent(requester.userId, 'leave', reason);
      await this.remote.leave({ userId: requester.userId, roomId, servers: [], content });
      return;
    }
    if (membership === undefined) throw forbidden(`You are not in room ${roomId}`);
    if (membership === 'leave' || membership === 'ban') return;
    const content: JsonObject = { membership: 'leave' };
    if (reason !== undefined) content.reason = reason;
    this.creator.create({
      template: { type: 'm.room.member', state_key: requester.userId, sender: requester.userId, content, room_id: roomId },
      deviceId: requester.deviceId,
    });
  }

  /** POST /rooms/{roomId}/forget. */
  forget(requester: Requester, roomId: string): void {
    const membership = this.access.membership(roomId, requester.userId);
    if (membership === 'join') throw new MatrixError(400, ErrCode.UNKNOWN, `User ${requester.userId} is in room ${roomId}`);
    if (membership === undefined) return;
    this.storage.memberships.forget(requester.userId, roomId);
  }

  /** POST /rooms/{roomId}/kick. */
  kick(requester: Requester, roomId: string, userId: string, reason?: string): void {
    this.requireParticipating(roomId);
    const target = this.access.membership(roomId, userId);
    if (target !== 'join' && target !== 'invite' && target !== 'knock') throw forbidden(`${userId} is not in the room`);
    this.sendFor(requester, roomId, userId, 'leave', reason);
  }

  /** POST /rooms/{roomId}/ban. */
  ban(requester: Requester, roomId: string, userId: string, reason?: string): void {
    if (!isValidUserId(userId)) throw invalidParam(`${JSON.stringify(userId)} is not a user ID`);
    this.requireParticipating(roomId);
    this.sendFor(requester, roomId, userId, 'ban', reason);
  }

  /** POST /rooms/{roomId}/unban. */
  unban(requester: Requester, roomId: string, userId: string, reason?: string): void {
    this.requireParticipating(roomId);
    if (this.access.membership(roomId, userId) !== 'ban') throw forbidden(`${userId} is not banned`);
    this.sendFor(requester, roomId, userId, 'leave', reason);
  }

  /**
   * A user's own member content: membership, their display name and avatar (so clients show
   * them without a profile look-up), and the reason if any.
   */
  ownContent(userId: string, membership: string, reason?: string): JsonObject {
    const content: JsonObject = { membership };
    if (membership === 'join' || membership === 'knock') Object.assign(content, profileContent(this.profileOf(userId)));
    if (reason !== undefined) content.reason = reason;
    return content;
  }

  /** An invite's content: the invitee's profile (so clients can show who), reason, is_direct. */
  inviteContent(userId: string, reason?: string, isDirect?: boolean): JsonObject {
    const content: JsonObject = { membership: 'invite', ...profileContent(this.profileOf(userId)) };
    if (reason !== undefined) content.reason = reason;
    if (isDirect) content.is_direct = true;
    return content;
  }

  /** Whether this server takes part in the room (has its state), so events can be built locally. */
  participating(roomId: string): boolean {
    const room = this.storage.rooms.get(roomId);
    return room !== undefined && room.currentStateGroup !== null && this.storage.state.current(roomId, 'm.room.create', '') !== undefined;
  }

  /**
   * Our state of the room may be stale once none of our users is in it while others are: a join
   * must then go through a server that is still there.
   */
  private onlyRemoteMembersLeft(roomId: string): boolean {
    let remoteJoined = false;
    for (const member of this.storage.memberships.members(roomId, 'join')) {
      if (serverOfUserId(member.userId) === this.serverName) return false;
      remoteJoined = true;
    }
    return remoteJoined;
  }

  private requireParticipating(roomId: string): void {
    if (!this.participating(roomId)) throw forbidden(`Unknown room ${roomId}`);
  }

  private sendOwn(requester: Requester, roomId: string, membership: string, reason: string | undefined): void {
    this.creator.create({
      template: {
        type: 'm.room.member',
        state_key: requester.userId,
        sender: requester.userId,
        content: this.ownContent(requester.userId, membership, reason),
        room_id: roomId,
      },
      deviceId: requester.deviceId,
    });
  }

  private sendFor(requester: Requester, roomId: string, userId: string, membership: string, reason: string | undefined): void {
    const content: JsonObject = { membership };
    if (reason !== undefined) content.reason = reason;
    this.creator.create({
      template: { type: 'm.room.member', state_key: userId, sender: requester.userId, content, room_id: roomId },
      deviceId: requester.deviceId,
    });
  }

  private async resolveTarget(roomIdOrAlias: string, via: readonly string[] | undefined): Promise<{ roomId: string; servers: string[] }> {
    if (roomIdOrAlias.startsWith('#')) {
      const resolved = await this.aliases.resolve(roomIdOrAlias);
      return { roomId: resolved.roomId, servers: [...new Set([...(via ?? []), ...resolved.servers])] };
    }
    if (!roomIdOrAlias.startsWith('!')) throw invalidParam(`${JSON.stringify(roomIdOrAlias)} is neither a room ID nor an alias`);
    const servers = new Set(via ?? []);
    // Pre-v12 room IDs name the server that created the room: a good server to ask.
    const colon = roomIdOrAlias.indexOf(':');
    if (colon > 0) servers.add(roomIdOrAlias.slice(colon + 1));
    return { roomId: roomIdOrAlias, servers: [...servers] };
  }

  private profileOf(userId: string): JsonObject {
    if (serverOfUserId(userId) !== this.serverName) return {};
    try {
      return this.profiles.get(userId);
    } catch {
      return {};
    }
  }
}

/** displayname and avatar_url, as member events carry them. */
export function profileContent(profile: JsonObject): JsonObject {
  const out: JsonObject = {};
  if (typeof profile.displayname === 'string') out.displayname = profile.displayname;
  if (typeof profile.avatar_url === 'string') out.avatar_url = profile.avatar_url;
  return out;
}
