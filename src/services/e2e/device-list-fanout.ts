import type { JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import type { OutboundQueue } from '../federation/outbound-queue.js';
import type { RoomServers } from '../federation/outbound/room-servers.js';
import type { Logger } from '../logger.js';
import type { LocalDeviceListChange } from './device-list-stream.js';
import { crossSigningKeyOf, publishedDeviceKeys } from './local-keys.js';

/**
 * Our users' device-list changes for other servers: an m.device_list_update per changed device
 * (stream_id, prev_id, deleted, keys, display name), and m.signing_key_update when the master or
 * self-signing key changes, to every server with a member in a room the user is joined to.
 * Subscribed to DeviceListStream's local changes; the outbound queue persists the EDUs first.
 */
export class DeviceListFanout {
  constructor(
    private readonly storage: Storage,
    private readonly servers: RoomServers,
    private readonly queue: OutboundQueue,
    private readonly log: Logger,
  ) {}

  readonly onLocalChange = (change: LocalDeviceListChange): void => {
    try {
      const destinations = new Set<string>();
      for (const roomId of this.storage.memberships.roomsOfUser(change.userId, 'join')) {
        for (const server of this.servers.remote(roomId)) destinations.add(server);
      }
      if (destinations.size === 0) return;
      const edus = change.devices.map((device) => ({ edu_type: 'm.device_list_update', content: this.deviceUpdate(change.userId, device) }));
      if (change.crossSigning) edus.push({ edu_type: 'm.signing_key_update', content: this.signingKeyUpdate(change.userId) });
      for (const destination of destinations) for (const edu of edus) this.queue.enqueueEdu(destination, edu);
    } catch (err) {
      // Runs inside request paths (key upload, logout ...): a failure here must not fail them.
      this.log.error({ err, userId: change.userId }, 'queueing device-list EDUs failed');
    }
  };

  private deviceUpdate(userId: string, device: LocalDeviceListChange['devices'][number]): JsonObject {
    const content: JsonObject = {
      user_id: userId,
      device_id: device.deviceId,
      stream_id: device.streamId,
      prev_id: device.prevId === undefined ? [] : [device.prevId],
    };
    const stored = device.deleted ? undefined : this.storage.devices.get(userId, device.deviceId);
    if (!stored) {
      content['deleted'] = true;
      return content;
    }
    if (stored.displayName !== null) content['device_display_name'] = stored.displayName;
    const keysJson = this.storage.e2eKeys.deviceKeys(userId, device.deviceId);
    if (keysJson !== undefined) content['keys'] = publishedDeviceKeys(this.storage, userId, device.deviceId, keysJson);
    return content;
  }

  private signingKeyUpdate(userId: string): JsonObject {
    const content: JsonObject = { user_id: userId };
    const master = crossSigningKeyOf(this.storage, userId, 'master', undefined);
    const selfSigning = crossSigningKeyOf(this.storage, userId, 'self_signing', undefined);
    if (master) content['master_key'] = master;
    if (selfSigning) content['self_signing_key'] = selfSigning;
    return content;
  }
}
