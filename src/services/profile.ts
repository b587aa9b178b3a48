import type { JsonObject, JsonValue } from '../core/json.js';
import type { Profile } from '../storage/profiles-repo.js';
import type { Storage } from '../storage/storage.js';
import { badJson, ErrCode, forbidden, MatrixError, notFound } from './errors.js';
import type { Logger } from './logger.js';
import type { Requester } from './requester.js';

/**
 * User profiles: displayname, avatar_url and (spec v1.16) any other field. Only local users
 * have profiles here; remote ones need federation (not yet).
 */

export type ProfileChangedListener = (userId: string, profile: JsonObject) => void;

/** The spec caps a whole profile at 64 KiB of JSON. */
const MAX_PROFILE_BYTES = 65_536;
/** The spec's keyName pattern: the defined keys or a namespaced (reverse-DNS) one. */
const KEY_NAME = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;
const MAX_KEY_BYTES = 255;

export function profileJson(p: Profile): JsonObject {
  const out: JsonObject = { ...p.extra };
  if (p.displayname !== null) out['displayname'] = p.displayname;
  if (p.avatarUrl !== null) out['avatar_url'] = p.avatarUrl;
  return out;
}

export class ProfileService {
  private readonly changedListeners: ProfileChangedListener[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly log: Logger,
  ) {}

  /** Room services subscribe here to send updated membership events. */
  onChanged(listener: ProfileChangedListener): void {
    this.changedListeners.push(listener);
  }

  get(userId: string): JsonObject {
    const account = this.storage.accounts.get(userId);
    const profile = this.storage.profiles.get(userId);
    if (!account || !profile) throw notFound('Profile not found');
    return profileJson(profile);
  }

  getField(userId: string, keyName: string): JsonValue {
    const value = this.get(userId)[keyName];
    if (value === undefined) throw notFound(`Profile field ${keyName} is not set`);
    return value;
  }

  /** PUT /profile/{userId}/{keyName}: the body holds exactly the field being set. */
  setField(requester: Requester, userId: string, keyName: string, body: JsonObject): void {
    this.checkOwner(requester, userId);
    checkKeyName(keyName);
    const value = body[keyName];
    if (value === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, `Missing '${keyName}'`);
    if ((keyName === 'displayname' || keyName === 'avatar_url') && typeof value !== 'string' && value !== null) {
      throw badJson(`'${keyName}' must be a string`);
    }
    if (keyName === 'm.tz' && typeof value !== 'string') throw badJson("'m.tz' must be a string");
    this.update(userId, keyName, value);
  }

  deleteField(requester: Requester, userId: string, keyName: string): void {
    this.checkOwner(requester, userId);
    checkKeyName(keyName);
    this.update(userId, keyName, undefined);
  }

  private update(userId: string, keyName: string, value: JsonValue | undefined): void {
    const updated = this.storage.transaction(() => {
      const current = this.storage.profiles.get(userId) ?? { displayname: null, avatarUrl: null, extra: {} };
      let next: Profile;
      if (keyName === 'displayname') next = { ...current, displayname: typeof value === 'string' && value !== '' ? value : null };
      else if (keyName === 'avatar_url') next = { ...current, avatarUrl: typeof value === 'string' && value !== '' ? value : null };
      else {
        const extra: JsonObject = { ...current.extra };
        if (value === undefined) delete extra[keyName];
        else extra[keyName] = value;
        next = { ...current, extra };
      }
      const json = profileJson(next);
      if (Buffer.byteLength(JSON.stringify(json)) > MAX_PROFILE_BYTES) throw new MatrixError(400, ErrCode.PROFILE_TOO_LARGE, 'Profile would be larger than 64 KiB');
      this.storage.profiles.put(userId, next);
      return json;
    });
    for (const listener of this.changedListeners) {
      try {
        listener(userId, updated);
      } catch (err) {
        this.log.error({ err, userId }, 'profile listener failed');
      }
    }
  }

  private checkOwner(requester: Requester, userId: string): void {
    if (requester.userId !== userId) throw forbidden("You cannot change another user's profile");
    if (!this.storage.accounts.get(userId)) throw notFound('Profile not found');
  }
}

function checkKeyName(keyName: string): void {
  if (Buffer.byteLength(keyName) > MAX_KEY_BYTES) throw new MatrixError(400, ErrCode.KEY_TOO_LARGE, 'Profile field name is too long');
  if (!KEY_NAME.test(keyName)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid profile field name');
}
