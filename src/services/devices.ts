import type { JsonObject, JsonValue } from '../core/json.js';
import type { Device } from '../storage/devices-repo.js';
import type { Storage } from '../storage/storage.js';
import { notFound } from './errors.js';
import type { Logger } from './logger.js';
import type { Requester } from './requester.js';
import { STAGE, type UserInteractiveAuth } from './uia.js';

/**
 * Devices of local users. Deleting a device also ends its session (tokens cascade in storage);
 * other services (end-to-end keys, to-device messages) subscribe with `onDeleted`, and to
 * renames with `onRenamed` (a device's display name is part of its published device list).
 */

export type DeviceDeletedListener = (userId: string, deviceIds: readonly string[]) => void;
export type DeviceRenamedListener = (userId: string, deviceId: string) => void;

export function deviceJson(d: Device): JsonObject {
  const out: JsonObject = { device_id: d.deviceId };
  if (d.displayName !== null) out['display_name'] = d.displayName;
  if (d.lastSeenIp !== null) out['last_seen_ip'] = d.lastSeenIp;
  if (d.lastSeenTs !== null) out['last_seen_ts'] = d.lastSeenTs;
  return out;
}

export class DeviceService {
  private readonly deletedListeners: DeviceDeletedListener[] = [];
  private readonly renamedListeners: DeviceRenamedListener[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly uia: UserInteractiveAuth,
    private readonly log: Logger,
  ) {}

  onDeleted(listener: DeviceDeletedListener): void {
    this.deletedListeners.push(listener);
  }

  onRenamed(listener: DeviceRenamedListener): void {
    this.renamedListeners.push(listener);
  }

  list(userId: string): Device[] {
    return this.storage.devices.list(userId);
  }

  get(userId: string, deviceId: string): Device {
    const device = this.storage.devices.get(userId, deviceId);
    if (!device) throw notFound('Unknown device');
    return device;
  }

  rename(userId: string, deviceId: string, displayName: string | null): void {
    const before = this.storage.devices.get(userId, deviceId);
    if (!before || !this.storage.devices.setDisplayName(userId, deviceId, displayName)) throw notFound('Unknown device');
    if (before.displayName === displayName) return;
    for (const listener of this.renamedListeners) {
      try {
        listener(userId, deviceId);
      } catch (err) {
        this.log.error({ err, userId }, 'device-renamed listener failed');
      }
    }
  }

  /** Deletes devices (and so their sessions); unknown IDs are ignored, as Synapse does. */
  delete(userId: string, deviceIds: readonly string[]): void {
    const deleted = this.storage.transaction(() => deviceIds.filter((id) => this.storage.devices.delete(userId, id)));
    if (deleted.length > 0) this.notify(userId, deleted);
  }

  /** DELETE /devices/{id} and POST /delete_devices: the account's password first (UIA). */
  async deleteWithAuth(requester: Requester, deviceIds: readonly string[], auth: JsonValue | undefined, clientIp: string, operation: string): Promise<void> {
    await this.uia.authenticate({ operation, auth, flows: [[STAGE.password]], userId: requester.userId, clientIp });
    this.delete(requester.userId, deviceIds);
  }

  /** Deletes every device of the user, or every one but `exceptDeviceId`. */
  deleteAll(userId: string, exceptDeviceId?: string): void {
    const ids = this.storage.devices.list(userId).map((d) => d.deviceId).filter((id) => id !== exceptDeviceId);
    this.delete(userId, ids);
  }

  private notify(userId: string, deviceIds: readonly string[]): void {
    for (const listener of this.deletedListeners) {
      try {
        listener(userId, deviceIds);
      } catch (err) {
        this.log.error({ err, userId }, 'device-deleted listener failed');
      }
    }
  }
}
