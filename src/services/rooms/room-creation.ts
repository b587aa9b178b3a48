import { randomBytes } from 'node:crypto';
import { isValidUserId } from '../../core/auth/identifiers.js';
import { stateTupleKey, type StateTupleKey } from '../../core/events/room-event.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import { DEFAULT_ROOM_VERSION, roomVersion, type RoomVersion } from '../../core/room-versions.js';
import type { Storage } from '../../storage/storage.js';
import { ErrCode, MatrixError, invalidParam } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Requester } from '../requester.js';
import { serverOfUserId } from '../user-ids.js';
import type { Emit, EventCreator } from './event-creator.js';
import { aliasServer, type RoomAliases } from './room-aliases.js';
import type { RoomMembership } from './room-membership.js';
import { defaultPowerLevels, PRESETS, topicContent, type Preset } from './room-presets.js';

/**
 * POST /createRoom: the events of a new room in the order the spec fixes (create, the creator's
 * join, power levels, canonical alias, preset state, initial_state, name, topic, invites), all
 * in one transaction so a failure leaves no half-made room. An event the auth rules refuse
 * (e.g. an override that takes the creator's power away) fails the request with
 * M_INVALID_ROOM_STATE. Invites to other servers go out after the commit, through federation.
 */

export interface InitialStateEvent {
  readonly type: string;
  readonly state_key?: string | undefined;
  readonly content: JsonObject;
}

export interface CreateRoomRequest {
  readonly visibility?: 'public' | 'private' | undefined;
  readonly room_alias_name?: string | undefined;
  readonly name?: string | undefined;
  readonly topic?: string | undefined;
  readonly invite?: readonly string[] | undefined;
  readonly invite_3pid?: readonly JsonValue[] | undefined;
  readonly room_version?: string | undefined;
  readonly creation_content?: JsonObject | undefined;
  readonly initial_state?: readonly InitialStateEvent[] | undefined;
  readonly preset?: Preset | undefined;
  readonly is_direct?: boolean | undefined;
  readonly power_level_content_override?: JsonObject | undefined;
}

/** Extra knobs for room upgrades, which create the replacement room through the same path. */
export interface CreateRoomExtras {
  /**
   * State copied from the old room, sent instead of the preset's state (a copied
   * m.room.power_levels replaces the default one).
   */
  readonly copiedState?: readonly InitialStateEvent[];
}

export class RoomCreation {
  constructor(
    private readonly storage: Storage,
    private readonly creator: EventCreator,
    private readonly aliases: RoomAliases,
    private readonly membership: RoomMembership,
    private readonly serverName: string,
    private readonly log: Logger,
  ) {}

  async createRoom(requester: Requester, request: CreateRoomRequest): Promise<string> {
    const roomId = this.createLocally(requester, request);
    // Other servers' users are invited once the room exists; a failure does not undo the room.
    for (const invitee of request.invite ?? []) {
      if (serverOfUserId(invitee) === this.serverName || invitee === requester.userId) continue;
      try {
        await this.membership.invite(requester, roomId, invitee);
      } catch (err) {
        this.log.warn({ err, roomId, invitee }, 'could not invite a remote user to a new room');
      }
    }
    return roomId;
  }

  /**
   * The synchronous part: every local event in one transaction (joining an enclosing
   * EventCreator batch, as room upgrades use it). Returns the room ID.
   */
  createLocally(requester: Requester, request: CreateRoomRequest, extras: CreateRoomExtras = {}): string {
    const versionId = request.room_version ?? DEFAULT_ROOM_VERSION;
    const version = roomVersion(versionId);
    if (!version) throw new MatrixError(400, ErrCode.UNSUPPORTED_ROOM_VERSION, `Room version ${versionId} is not supported`);
    if (request.invite_3pid && request.invite_3pid.length > 0) throw invalidParam('Third-party invites are not supported');

    const userId = requester.userId;
    const preset = PRESETS[request.preset ?? (request.visibility === 'public' ? 'public_chat' : 'private_chat')];
    const trusted = request.preset === 'trusted_private_chat';
    const invitees = this.checkInvitees(userId, request.invite ?? []);
    const alias = this.checkAlias(request.room_alias_name);

    const createContent: JsonObject = { ...(request.creation_content ?? {}), room_version: version.id };
    if (version.creatorIsSender) delete createContent.creator;
    else createContent.creator = userId;
    // v12: creators are the sender plus additional_creators; trusted_private_chat invitees join them.
    const additionalCreators = version.privilegedCreators ? this.additionalCreators(userId, createContent, trusted ? invitees : []) : [];
    if (additionalCreators.length > 0) createContent.additional_creators = additionalCreators;
    else if (version.privilegedCreators) delete createContent.additional_creators;

    const initialState = request.initial_state ?? [];
    const initialKeys = new Set<StateTupleKey>(initialState.map((e) => stateTupleKey(e.type, e.state_key ?? '')));
    const copied = extras.copiedState ?? [];

    let roomId: string;
    try {
      roomId = this.creator.batch((emit) => {
        const id = this.emitCreate(emit, version, userId, createContent);
        const state = (type: string, stateKey: string, content: JsonObject): void => {
          emit({ template: { type, state_key: stateKey, sender: userId, content, room_id: id }, deviceId: requester.deviceId });
        };

        state('m.room.member', userId, this.membership.ownContent(userId, 'join'));

        const plKey = stateTupleKey('m.room.power_levels', '');
        const initialPl = initialState.find((e) => e.type === 'm.room.power_levels' && (e.state_key ?? '') === '');
        const copiedPl = copied.find((e) => e.type === 'm.room.power_levels' && (e.state_key ?? '') === '');
        const basePl = copiedPl?.content ?? initialPl?.content ?? defaultPowerLevels(version, preset, [userId, ...(trusted ? invitees : [])]);
        state('m.room.power_levels', '', { ...basePl, ...(request.power_level_content_override ?? {}) });

        if (alias !== undefined) {
          if (!this.aliases.createForNewRoom(alias, id, userId)) throw new MatrixError(400, ErrCode.ROOM_IN_USE, `Room alias ${alias} already taken`);
          state('m.room.canonical_alias', '', { alias });
        }

        const presetState: [string, JsonObject][] = [
          ['m.room.join_rules', { join_rule: preset.joinRule }],
          ['m.room.history_visibility', { history_visibility: preset.historyVisibility }],
          ['m.room.guest_access', { guest_access: preset.guestAccess }],
        ];
        // An upgrade's copied state takes the place of the preset's.
        if (extras.copiedState === undefined) {
          for (const [type, content] of presetState) {
            if (!initialKeys.has(stateTupleKey(type, ''))) state(type, '', content);
          }
        }
        for (const event of [...copied, ...initialState]) {
          const key = stateTupleKey(event.type, event.state_key ?? '');
          if (key === plKey || event.type === 'm.room.create') continue;
          state(event.type, event.state_key ?? '', event.content);
        }
        if (request.name !== undefined) state('m.room.name', '', { name: request.name });
        if (request.topic !== undefined) state('m.room.topic', '', topicContent(request.topic));

        for (const invitee of invitees) {
          if (serverOfUserId(invitee) !== this.serverName) continue;
          state('m.room.member', invitee, this.membership.inviteContent(invitee, undefined, request.is_direct));
        }
        if (request.visibility === 'public') this.storage.rooms.setPublic(id, true);
        return id;
      });
    } catch (err) {
      if (err instanceof MatrixError && err.errcode === ErrCode.FORBIDDEN) {
        throw new MatrixError(400, ErrCode.INVALID_ROOM_STATE, `The requested initial state is not allowed: ${err.message}`);
      }
      throw err;
    }

    return roomId;
  }

  /** Emits the create event; returns the room ID (derived from it in v12). */
  private emitCreate(emit: Emit, version: RoomVersion, userId: string, content: JsonObject): string {
    const roomId = version.roomIdFromCreateEvent ? undefined : `!${randomLocalpart()}:${this.serverName}`;
    const created = emit({
      template: { type: 'm.room.create', state_key: '', sender: userId, content, ...(roomId !== undefined ? { room_id: roomId } : {}) },
      version,
    });
    return created.roomId;
  }

  private checkInvitees(userId: string, invite: readonly string[]): string[] {
    const out: string[] = [];
    for (const invitee of invite) {
      if (!isValidUserId(invitee)) throw invalidParam(`${JSON.stringify(invitee)} is not a user ID`);
      if (invitee === userId || out.includes(invitee)) continue;
      if (serverOfUserId(invitee) === this.serverName && !this.storage.accounts.get(invitee)) {
        throw invalidParam(`Unknown user ${invitee}`);
      }
      out.push(invitee);
    }
    return out;
  }

  private checkAlias(localpart: string | undefined): string | undefined {
    if (localpart === undefined) return undefined;
    const alias = `#${localpart}:${this.serverName}`;
    if (localpart === '' || /[:\s]/.test(localpart) || aliasServer(alias) !== this.serverName) {
      throw invalidParam('room_alias_name is not a valid alias localpart');
    }
    if (this.storage.aliases.get(alias)) throw new MatrixError(400, ErrCode.ROOM_IN_USE, `Room alias ${alias} already taken`);
    return alias;
  }

  private additionalCreators(userId: string, createContent: JsonObject, extra: readonly string[]): string[] {
    const given = createContent.additional_creators;
    if (given !== undefined && !(Array.isArray(given) && given.every((u) => typeof u === 'string' && isValidUserId(u)))) {
      throw invalidParam('creation_content.additional_creators must be a list of user IDs');
    }
    const all = [...((given as string[] | undefined) ?? []), ...extra];
    return [...new Set(all)].filter((u) => u !== userId);
  }
}

/** 18 random letters: the opaque part of a pre-v12 room ID. */
function randomLocalpart(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const bytes = randomBytes(18);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}
