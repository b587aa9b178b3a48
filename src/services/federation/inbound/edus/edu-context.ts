import { isJsonObject, type JsonObject, type JsonValue } from '../../../../core/json.js';
import type { Storage } from '../../../../storage/storage.js';
import type { Clock } from '../../../clock.js';
import type { PresenceService } from '../../../ephemeral/presence.js';
import type { ReceiptsService } from '../../../ephemeral/receipts.js';
import type { TypingService } from '../../../ephemeral/typing.js';
import type { Logger } from '../../../logger.js';
import type { ToDeviceService } from '../../../to-device.js';
import type { InboundDeviceLists } from '../../../e2e/remote-device-lists.js';
import { serverOfUserId } from '../../../user-ids.js';
import type { ServerAclChecker } from '../server-acl.js';

/**
 * What an EDU handler works with. EDUs are not signed; the X-Matrix signature of the transaction
 * proves only who the origin is, so every handler accepts updates about users of the origin
 * only, and about rooms whose ACL allows the origin.
 */
export interface EduContext {
  readonly origin: string;
  readonly serverName: string;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly log: Logger;
  readonly acl: ServerAclChecker;
  readonly typing: TypingService;
  readonly receipts: ReceiptsService;
  readonly presence: PresenceService;
  /** Delivers m.direct_to_device into our users' device inboxes. */
  readonly toDevice: ToDeviceService;
  /** Keeps m.device_list_update and m.signing_key_update for end-to-end encryption. */
  readonly deviceLists: InboundDeviceLists;
}

/** Handles one EDU's content; throws nothing for anything the content holds. */
export type EduHandler = (ctx: EduContext, content: JsonObject) => void;

/** The user ID is a user of the origin server. */
export function isOriginUser(ctx: EduContext, userId: JsonValue | undefined): userId is string {
  return typeof userId === 'string' && userId.length <= 255 && serverOfUserId(userId) === ctx.origin;
}

export function objectMember(object: JsonObject, key: string): JsonObject | undefined {
  const value = Object.hasOwn(object, key) ? object[key] : undefined;
  return isJsonObject(value) ? value : undefined;
}

export function stringMember(object: JsonObject, key: string, maxLength = 255): string | undefined {
  const value = Object.hasOwn(object, key) ? object[key] : undefined;
  return typeof value === 'string' && value.length <= maxLength ? value : undefined;
}

/** The room is one we know and its ACL lets the origin in. */
export function roomAllowsOrigin(ctx: EduContext, roomId: string): boolean {
  return ctx.storage.rooms.get(roomId) !== undefined && ctx.acl.allowed(roomId, ctx.origin);
}
