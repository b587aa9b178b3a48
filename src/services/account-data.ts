import { isJsonObject, type JsonObject } from '../core/json.js';
import type { Storage } from '../storage/storage.js';
import { ErrCode, forbidden, invalidParam, MatrixError, notFound } from './errors.js';
import type { Requester } from './requester.js';
import type { Notifier } from './notifier.js';

/**
 * Account data, global and per room (spec "Client Config"), and room tags, which the spec keeps
 * as the per-room `m.tag` account data. Every write takes the next account_data stream position
 * in its transaction, then tells the notifier (the owner's long-polling syncs wake).
 */

/** Types the server maintains itself: clients set them through their own endpoints. */
const SERVER_CONTROLLED = new Set(['m.fully_read', 'm.push_rules']);
/** Synapse's limit on a tag name. */
const MAX_TAG_BYTES = 255;
/** Keeps one user from storing arbitrarily much under one type. */
const MAX_CONTENT_BYTES = 65_536;

export class AccountDataService {
  constructor(
    private readonly storage: Storage,
    private readonly notifier: Notifier,
  ) {}

  setGlobal(requester: Requester, userId: string, type: string, content: JsonObject): void {
    checkOwner(requester, userId, 'add account data for');
    checkClientType(type);
    this.put(userId, '', type, content);
  }

  getGlobal(requester: Requester, userId: string, type: string): JsonObject {
    checkOwner(requester, userId, 'read account data of');
    const entry = this.storage.accountData.get(userId, '', type);
    if (!entry) throw notFound('Account data not found');
    return entry.content;
  }

  setRoom(requester: Requester, userId: string, roomId: string, type: string, content: JsonObject): void {
    checkOwner(requester, userId, 'add account data for');
    checkRoomId(roomId);
    checkClientType(type);
    this.put(userId, roomId, type, content);
  }

  getRoom(requester: Requester, userId: string, roomId: string, type: string): JsonObject {
    checkOwner(requester, userId, 'read account data of');
    checkRoomId(roomId);
    const entry = this.storage.accountData.get(userId, roomId, type);
    if (!entry) throw notFound('Room account data not found');
    return entry.content;
  }

  getTags(requester: Requester, userId: string, roomId: string): JsonObject {
    checkOwner(requester, userId, 'read tags of');
    return this.tagsOf(userId, roomId);
  }

  setTag(requester: Requester, userId: string, roomId: string, tag: string, body: JsonObject): void {
    checkOwner(requester, userId, 'set tags for');
    checkRoomId(roomId);
    if (tag.length === 0 || Buffer.byteLength(tag) > MAX_TAG_BYTES) throw invalidParam('Tag names must be 1 to 255 bytes');
    const position = this.storage.transaction(() => {
      const tags = { ...this.tagsOf(userId, roomId), [tag]: body };
      return this.putUnnotified(userId, roomId, 'm.tag', { tags });
    });
    this.notifyOwner(userId, position);
  }

  deleteTag(requester: Requester, userId: string, roomId: string, tag: string): void {
    checkOwner(requester, userId, 'delete tags of');
    checkRoomId(roomId);
    const position = this.storage.transaction(() => {
      const tags = { ...this.tagsOf(userId, roomId) };
      // Deleting a tag that is not there succeeds without a new stream position (as Synapse).
      if (!Object.hasOwn(tags, tag)) return undefined;
      delete tags[tag];
      return this.putUnnotified(userId, roomId, 'm.tag', { tags });
    });
    if (position !== undefined) this.notifyOwner(userId, position);
  }

  /**
   * The storage half of a write, for server-maintained data too (m.fully_read from read
   * markers): callers put it in their own transaction and call notifyOwner after it commits.
   * Returns the write's account_data stream position.
   */
  putUnnotified(userId: string, roomId: string, type: string, content: JsonObject): number {
    if (Buffer.byteLength(JSON.stringify(content)) > MAX_CONTENT_BYTES) throw new MatrixError(413, ErrCode.TOO_LARGE, 'Account data is too large');
    const streamId = this.storage.streamPositions.next('account_data');
    this.storage.accountData.put(userId, roomId, type, content, streamId);
    return streamId;
  }

  notifyOwner(userId: string, position: number): void {
    this.notifier.notify({ userIds: [userId], stream: 'account_data', position });
  }

  private put(userId: string, roomId: string, type: string, content: JsonObject): void {
    const position = this.storage.transaction(() => this.putUnnotified(userId, roomId, type, content));
    this.notifyOwner(userId, position);
  }

  private tagsOf(userId: string, roomId: string): JsonObject {
    const tags = this.storage.accountData.get(userId, roomId, 'm.tag')?.content['tags'];
    return isJsonObject(tags) ? tags : {};
  }
}

function checkOwner(requester: Requester, userId: string, what: string): void {
  if (requester.userId !== userId) throw forbidden(`Cannot ${what} other users`);
}

function checkClientType(type: string): void {
  if (SERVER_CONTROLLED.has(type)) throw new MatrixError(405, ErrCode.BAD_JSON, `Cannot set ${type} through this API`);
  if (type.length === 0 || Buffer.byteLength(type) > 255) throw invalidParam('Invalid account data type');
}

function checkRoomId(roomId: string): void {
  // Room IDs are opaque after the sigil (v12 IDs have no server part).
  if (!/^!\S+$/.test(roomId) || roomId.length > 255) throw invalidParam(`${roomId} is not a valid room ID`);
}
