import type { JsonObject } from '../../core/json.js';
import type { RoomVersion } from '../../core/room-versions.js';

/**
 * What createRoom's presets and defaults put into a new room (create_room.yaml), kept as data.
 */

export type Preset = 'private_chat' | 'trusted_private_chat' | 'public_chat';

export interface PresetState {
  readonly joinRule: string;
  readonly historyVisibility: string;
  readonly guestAccess: string;
  /** The default power levels' invite level (private rooms let every member invite, as Synapse does). */
  readonly inviteLevel: number;
}

export const PRESETS: Readonly<Record<Preset, PresetState>> = {
  private_chat: { joinRule: 'invite', historyVisibility: 'shared', guestAccess: 'can_join', inviteLevel: 0 },
  trusted_private_chat: { joinRule: 'invite', historyVisibility: 'shared', guestAccess: 'can_join', inviteLevel: 0 },
  public_chat: { joinRule: 'public', historyVisibility: 'shared', guestAccess: 'forbidden', inviteLevel: 50 },
};

/**
 * The default m.room.power_levels content. Before v12 the creator (and, for
 * trusted_private_chat, the invitees) get 100; from v12 creators have infinite power and may
 * not be listed, and m.room.tombstone must need more than state_default.
 */
export function defaultPowerLevels(version: RoomVersion, preset: PresetState, privileged: readonly string[]): JsonObject {
  const users: JsonObject = {};
  if (!version.privilegedCreators) for (const userId of privileged) users[userId] = 100;
  return {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': version.privilegedCreators ? 150 : 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: preset.inviteLevel,
  };
}

/** m.room.topic content with its text/plain m.topic rendering (spec v1.15). */
export function topicContent(topic: string): JsonObject {
  return { topic, 'm.topic': { 'm.text': [{ body: topic, mimetype: 'text/plain' }] } };
}
