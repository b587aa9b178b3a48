import { randomBytes } from 'node:crypto';
import { isJsonObject, type JsonObject, type JsonValue } from '../core/json.js';
import { isValidServerName } from '../core/server-name.js';
import type { Storage } from '../storage/storage.js';
import type { Clock } from './clock.js';
import { invalidParam, tooLarge } from './errors.js';
import type { Edu } from './federation/outbound-queue.js';
import type { Logger } from './logger.js';
import type { Notifier } from './notifier.js';
import type { Requester } from './requester.js';
import { serverOfUserId } from './user-ids.js';

/**
 * Send-to-device messaging. A message for one of our users' devices goes into that device's
 * inbox (storage.toDevice) at the next 'to_device' stream position, and the user's long-polls
 * are woken; /sync delivers it until the device acknowledges it (services/sync/to-device.ts).
 * Messages for another server's users leave as one m.direct_to_device EDU per server, through
 * the outbound queue, in the same transaction as the sender's transaction ID: a send the client
 * saw succeed reaches every server even across a crash, and a retry sends nothing twice.
 *
 * The device ID `*` means every device the user has when the message arrives; a message for a
 * device (or user) that does not exist is dropped, as Synapse does: nobody could ever read it.
 */

/** user ID → device ID (or `*`) → content. */
export type ToDeviceMessages = Readonly<Record<string, Readonly<Record<string, JsonObject>>>>;

/** What a send or an EDU may carry: (user, device) entries as written, before `*` is expanded. */
export const MAX_TO_DEVICE_TARGETS = 1000;
const MAX_ID_LENGTH = 255;
const TXN_RETENTION_MS = 24 * 3_600_000;
/** A sender retries an EDU for days at most; Synapse keeps its dedup rows a week too. */
const FEDERATION_SEEN_RETENTION_MS = 7 * 24 * 3_600_000;
const PRUNE_INTERVAL_MS = 3_600_000;

export interface ToDeviceDeps {
  readonly serverName: string;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly log: Logger;
  readonly notifier: Notifier;
  /** The federation outbound queue (only `enqueueEdu` is used). */
  readonly outbound: { enqueueEdu(destination: string, edu: Edu): void };
}

/** A to-device EDU from another server, as its handler read it (sender already checked against the origin). */
export interface InboundToDevice {
  readonly origin: string;
  readonly sender: string;
  readonly type: string;
  readonly messageId: string;
  /** The EDU's `messages`, untrusted: entries that are not for our users' devices are skipped. */
  readonly messages: JsonObject;
}

/** device ID → content, after `*` was expanded; per local user. */
type LocalTargets = Map<string, Map<string, JsonObject>>;

export class ToDeviceService {
  private lastPruneTs = 0;

  constructor(private readonly deps: ToDeviceDeps) {}

  /**
   * PUT /sendToDevice/{eventType}/{txnId}. Throws M_INVALID_PARAM for an ID that is not one and
   * M_TOO_LARGE past MAX_TO_DEVICE_TARGETS, before anything is written.
   */
  send(requester: Requester, type: string, txnId: string, messages: ToDeviceMessages): void {
    const { serverName, storage, clock } = this.deps;
    if (type.length === 0 || type.length > MAX_ID_LENGTH) throw invalidParam(`The event type must be 1 to ${MAX_ID_LENGTH} characters`);
    if (txnId.length > MAX_ID_LENGTH) throw invalidParam(`The transaction ID must be at most ${MAX_ID_LENGTH} characters`);
    const { local, remote } = splitTargets(messages, serverName);
    const now = clock.now();
    this.pruneNow(now);

    let delivered: Delivered = NOTHING_DELIVERED;
    storage.transaction(() => {
      if (storage.toDevice.hasTxn(requester.userId, requester.deviceId, txnId)) return;
      storage.toDevice.putTxn(requester.userId, requester.deviceId, txnId, now);
      delivered = this.deliver(this.expand(local), requester.userId, type, null, now);
      for (const [destination, forServer] of remote) {
        const content: JsonObject = { sender: requester.userId, type, message_id: newMessageId(), messages: forServer };
        this.deps.outbound.enqueueEdu(destination, { edu_type: 'm.direct_to_device', content });
      }
    });
    this.wake(delivered);
  }

  /**
   * An m.direct_to_device EDU: delivered once per (origin, message_id), whatever the sender's
   * retries; entries for other servers' users, unknown users or devices, or that are not
   * objects are skipped, and entries past MAX_TO_DEVICE_TARGETS are dropped.
   */
  receive(edu: InboundToDevice): void {
    const { serverName, storage, clock } = this.deps;
    const wanted = new Map<string, Map<string, JsonObject>>();
    let budget = MAX_TO_DEVICE_TARGETS;
    for (const [userId, devices] of Object.entries(edu.messages)) {
      if (budget <= 0) break;
      if (serverOfUserId(userId) !== serverName || userId.length > MAX_ID_LENGTH || !isJsonObject(devices)) continue;
      const forUser = new Map<string, JsonObject>();
      for (const [deviceId, content] of Object.entries(devices)) {
        if (budget-- <= 0) break;
        if (isJsonObject(content) && deviceId.length > 0 && deviceId.length <= MAX_ID_LENGTH) forUser.set(deviceId, content);
      }
      if (forUser.size > 0) wanted.set(userId, forUser);
    }
    const now = clock.now();
    this.pruneNow(now);

    let delivered: Delivered = NOTHING_DELIVERED;
    storage.transaction(() => {
      if (!storage.toDevice.markFederationSeen(edu.origin, edu.messageId, now)) return;
      delivered = this.deliver(this.expand(wanted), edu.sender, edu.type, edu.origin, now);
    });
    this.wake(delivered);
  }

  /** Resolves `*` and drops what no device could read: unknown users, unknown devices. */
  private expand(wanted: ReadonlyMap<string, ReadonlyMap<string, JsonObject>>): LocalTargets {
    const { storage } = this.deps;
    const targets: LocalTargets = new Map();
    for (const [userId, byDevice] of wanted) {
      const existing = storage.devices.list(userId).map((d) => d.deviceId);
      if (existing.length === 0) continue;
      const forUser = new Map<string, JsonObject>();
      const everyDevice = byDevice.get('*');
      if (everyDevice) for (const deviceId of existing) forUser.set(deviceId, everyDevice);
      // A device named as well as covered by `*` gets the message written for it.
      const known = new Set(existing);
      for (const [deviceId, content] of byDevice) if (deviceId !== '*' && known.has(deviceId)) forUser.set(deviceId, content);
      if (forUser.size > 0) targets.set(userId, forUser);
    }
    return targets;
  }

  /** Writes one inbox row per device, each at its own stream position. Call inside a transaction. */
  private deliver(targets: LocalTargets, sender: string, type: string, origin: string | null, now: number): Delivered {
    const { storage } = this.deps;
    let position = 0;
    for (const [userId, byDevice] of targets) {
      for (const [deviceId, content] of byDevice) {
        position = storage.streamPositions.next('to_device');
        storage.toDevice.insert({ streamId: position, userId, deviceId, sender, type, contentJson: JSON.stringify(content), origin, receivedTs: now });
      }
    }
    return { userIds: [...targets.keys()], position };
  }

  /** After the commit: the targets' long-polls compute again. */
  private wake(delivered: Delivered): void {
    if (delivered.userIds.length === 0) return;
    this.deps.notifier.notify({ userIds: delivered.userIds, stream: 'to_device', position: delivered.position });
  }

  /** At most hourly: transaction IDs older than a day, delivered-EDU records older than a week. */
  private pruneNow(now: number): void {
    if (now - this.lastPruneTs < PRUNE_INTERVAL_MS) return;
    this.lastPruneTs = now;
    const { toDevice } = this.deps.storage;
    const txns = toDevice.pruneTxns(now - TXN_RETENTION_MS);
    const seen = toDevice.pruneFederationSeen(now - FEDERATION_SEEN_RETENTION_MS);
    if (txns + seen > 0) this.deps.log.debug({ txns, seen }, 'pruned to-device bookkeeping');
  }
}

interface Delivered {
  readonly userIds: readonly string[];
  readonly position: number;
}

const NOTHING_DELIVERED: Delivered = { userIds: [], position: 0 };

/**
 * Checks a client's `messages` and sorts it: our users' entries (as written, `*` not yet
 * expanded), and per other server the `messages` of its EDU.
 */
function splitTargets(
  messages: ToDeviceMessages,
  serverName: string,
): { local: Map<string, Map<string, JsonObject>>; remote: Map<string, Record<string, Record<string, JsonValue>>> } {
  const local = new Map<string, Map<string, JsonObject>>();
  const remote = new Map<string, Record<string, Record<string, JsonValue>>>();
  let count = 0;
  for (const [userId, devices] of Object.entries(messages)) {
    const server = serverOfUserId(userId);
    if (server === undefined || userId.length > MAX_ID_LENGTH || !isValidServerName(server)) throw invalidParam(`Invalid user ID: ${userId.slice(0, 300)}`);
    for (const deviceId of Object.keys(devices)) {
      if (deviceId.length === 0 || deviceId.length > MAX_ID_LENGTH) throw invalidParam(`Invalid device ID for ${userId}`);
    }
    count += Object.keys(devices).length;
    if (count > MAX_TO_DEVICE_TARGETS) throw tooLarge(`At most ${MAX_TO_DEVICE_TARGETS} (user, device) entries per request`);
    if (server === serverName) {
      local.set(userId, new Map(Object.entries(devices)));
    } else {
      let forServer = remote.get(server);
      if (!forServer) remote.set(server, (forServer = {}));
      forServer[userId] = { ...devices };
    }
  }
  return { local, remote };
}

/** Unique per EDU we send: the receiver deduplicates on (our server, message_id). */
function newMessageId(): string {
  return randomBytes(12).toString('base64url');
}
