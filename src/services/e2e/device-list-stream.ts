import type { Storage } from '../../storage/storage.js';
import type { Logger } from '../logger.js';
import type { Notifier } from '../notifier.js';
import { serverOfUserId } from '../user-ids.js';

/**
 * Writes the device-list change stream and wakes whoever must hear of a change: every local user
 * sharing a room with the user (and the user), or one observer for changes only they see. Local
 * changes are also handed to the listeners (the federation fan-out), with the positions that
 * become the EDUs' stream_id and prev_id.
 */

export interface DeviceRowChange {
  readonly deviceId: string;
  /** The change's position in the 'device_lists' stream: the EDU's stream_id. */
  readonly streamId: number;
  /** The user's previous device change (the EDU's prev_id), if any. */
  readonly prevId: number | undefined;
  readonly deleted: boolean;
}

export interface LocalDeviceListChange {
  readonly userId: string;
  readonly devices: readonly DeviceRowChange[];
  /** The master or self-signing key (or its signatures) changed: m.signing_key_update. */
  readonly crossSigning: boolean;
}

export type LocalDeviceListListener = (change: LocalDeviceListChange) => void;

const STREAM = 'device_lists';

export class DeviceListStream {
  private readonly listeners: LocalDeviceListListener[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly notifier: Notifier,
    private readonly serverName: string,
    private readonly log: Logger,
  ) {}

  onLocalChange(listener: LocalDeviceListListener): void {
    this.listeners.push(listener);
  }

  /**
   * Devices of a local user were added, changed (keys, name, signatures) or deleted. Runs as its
   * own transaction, or inside the caller's.
   */
  devicesChanged(userId: string, deviceIds: readonly string[], deleted: boolean): void {
    if (deviceIds.length === 0) return;
    const { storage } = this;
    const devices = storage.transaction(() => {
      let prevId = storage.deviceLists.lastDeviceStreamId(userId);
      return deviceIds.map((deviceId): DeviceRowChange => {
        const streamId = storage.streamPositions.next(STREAM);
        storage.deviceLists.append({ streamId, userId, deviceId, observerId: null });
        const row = { deviceId, streamId, prevId, deleted };
        prevId = streamId;
        return row;
      });
    });
    this.wakeRoomMates(userId, devices[devices.length - 1]!.streamId);
    this.emit({ userId, devices, crossSigning: false });
  }

  /**
   * A local user's cross-signing keys changed: master or self-signing (everyone sharing a room
   * hears of it, and other servers get m.signing_key_update), or only the user-signing key (the
   * user alone, as Synapse does: nobody else may see it).
   */
  crossSigningChanged(userId: string, shared: boolean): void {
    const position = this.append(userId, shared ? null : userId);
    if (!shared) {
      this.notifier.notify({ userIds: [userId], stream: STREAM, position });
      return;
    }
    this.wakeRoomMates(userId, position);
    this.emit({ userId, devices: [], crossSigning: true });
  }

  /** `signer` signed these users' master keys: their sync shows those users as changed. */
  signedOthers(signer: string, targets: readonly string[]): void {
    if (targets.length === 0) return;
    const position = this.storage.transaction(() => {
      let last = 0;
      for (const target of new Set(targets)) last = this.append(target, signer);
      return last;
    });
    this.notifier.notify({ userIds: [signer], stream: STREAM, position });
  }

  /** What we know of a remote user's devices or cross-signing keys changed. */
  remoteChanged(userId: string): void {
    this.wakeRoomMates(userId, this.append(userId, null));
  }

  private append(userId: string, observerId: string | null): number {
    const { storage } = this;
    return storage.transaction(() => {
      const streamId = storage.streamPositions.next(STREAM);
      storage.deviceLists.append({ streamId, userId, deviceId: null, observerId });
      return streamId;
    });
  }

  private wakeRoomMates(userId: string, position: number): void {
    const userIds = new Set(this.storage.deviceLists.localUsersSharingRoomWith(userId, this.serverName));
    if (serverOfUserId(userId) === this.serverName) userIds.add(userId);
    if (userIds.size > 0) this.notifier.notify({ userIds: [...userIds], stream: STREAM, position });
  }

  /** Listeners run inside request paths (key upload, logout ...): a failure there must not fail those. */
  private emit(change: LocalDeviceListChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.log.error({ err, userId: change.userId }, 'device-list listener failed');
      }
    }
  }
}
