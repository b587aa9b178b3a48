import { isJsonObject, type JsonObject } from '../../core/json.js';
import type { RemoteDevice } from '../../storage/remote-devices-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { FederationClient } from '../federation/federation-client.js';
import { serverOfUserId } from '../user-ids.js';
import { remoteCrossSigningKey, remoteDeviceKeys } from './key-objects.js';
import { crossSigningKeysOf, localDeviceKeys } from './local-keys.js';
import type { RemoteDeviceLists } from './remote-device-lists.js';
import { remoteFailure, remoteTimeoutMs } from './remote-failure.js';

/**
 * POST /keys/query: device keys and cross-signing keys of local users from the database; of
 * remote users from what we hold when their list is complete and they share a room with ours,
 * otherwise from their server (POST user/keys/query, all servers at once, within `timeout`), a
 * server that cannot be asked landing in `failures`. Full answers for users we track are kept.
 */

export type DeviceQuery = Readonly<Record<string, readonly string[]>>;

export class KeyQuery {
  constructor(
    private readonly storage: Storage,
    private readonly client: FederationClient,
    private readonly remote: RemoteDeviceLists,
    private readonly serverName: string,
  ) {}

  async query(viewer: string, query: DeviceQuery, timeout: number | undefined): Promise<JsonObject> {
    const local: Record<string, readonly string[]> = {};
    const byServer = new Map<string, Record<string, readonly string[]>>();
    const deviceKeys: JsonObject = {};
    for (const [userId, deviceIds] of Object.entries(query)) {
      const server = serverOfUserId(userId);
      if (server === undefined) continue;
      if (server === this.serverName) {
        local[userId] = deviceIds;
        continue;
      }
      const cached = this.remote.cachedDevices(userId);
      if (cached) {
        deviceKeys[userId] = remoteDevicesJson(cached, deviceIds);
        continue;
      }
      let users = byServer.get(server);
      if (!users) byServer.set(server, (users = {}));
      users[userId] = deviceIds;
    }
    Object.assign(deviceKeys, localDeviceKeys(this.storage, local, true));

    const failures: JsonObject = {};
    const timeoutMs = remoteTimeoutMs(timeout);
    await Promise.all(
      [...byServer].map(async ([server, users]) => {
        try {
          Object.assign(deviceKeys, await this.queryServer(server, users, timeoutMs));
        } catch (err) {
          failures[server] = remoteFailure(err);
        }
      }),
    );
    // Cross-signing keys come from the database for everyone: remote answers were stored above.
    const crossSigning = crossSigningKeysOf(this.storage, Object.keys(query), viewer);
    return { device_keys: deviceKeys, failures, ...crossSigning };
  }

  /** One server's answer for its users, checked; full answers for tracked users are kept. */
  private async queryServer(server: string, users: Record<string, readonly string[]>, timeoutMs: number): Promise<JsonObject> {
    const body = await this.client.request(server, {
      method: 'POST',
      path: '/_matrix/federation/v1/user/keys/query',
      body: { device_keys: Object.fromEntries(Object.entries(users).map(([u, d]) => [u, [...d]])) },
      timeoutMs,
    });
    const answered = isJsonObject(body['device_keys']) ? body['device_keys'] : {};
    const masters = isJsonObject(body['master_keys']) ? body['master_keys'] : {};
    const selfSignings = isJsonObject(body['self_signing_keys']) ? body['self_signing_keys'] : {};
    const out: JsonObject = {};
    for (const [userId, wanted] of Object.entries(users)) {
      const devicesJson = answered[userId];
      const master = remoteCrossSigningKey(masters[userId], userId, 'master');
      const selfSigning = remoteCrossSigningKey(selfSignings[userId], userId, 'self_signing');
      if (!isJsonObject(devicesJson)) {
        this.remote.storeCrossSigningKeys(userId, master, selfSigning);
        continue;
      }
      const devices: RemoteDevice[] = [];
      for (const [deviceId, keys] of Object.entries(devicesJson)) {
        const keysJson = remoteDeviceKeys(keys, userId, deviceId);
        if (keysJson === undefined) continue;
        const unsigned = isJsonObject(keys) ? keys['unsigned'] : undefined;
        const name = isJsonObject(unsigned) ? unsigned['device_display_name'] : undefined;
        devices.push({ deviceId, keysJson, displayName: typeof name === 'string' && name.length <= 1024 ? name : null });
      }
      if (wanted.length === 0) this.remote.storeFullAnswer(userId, { devices, master, selfSigning });
      else this.remote.storeCrossSigningKeys(userId, master, selfSigning);
      out[userId] = remoteDevicesJson(devices, wanted);
    }
    return out;
  }
}

/** Remote devices as /keys/query lists them: keys with `unsigned.device_display_name`. */
function remoteDevicesJson(devices: readonly RemoteDevice[], wanted: readonly string[]): JsonObject {
  const only = wanted.length === 0 ? undefined : new Set(wanted);
  const out: JsonObject = {};
  for (const device of devices) {
    if (device.keysJson === null || (only && !only.has(device.deviceId))) continue;
    const keys = JSON.parse(device.keysJson) as JsonObject;
    if (device.displayName !== null) keys['unsigned'] = { device_display_name: device.displayName };
    out[device.deviceId] = keys;
  }
  return out;
}
