import type { JsonObject } from '../../../core/json.js';
import type { Storage } from '../../../storage/storage.js';
import { crossSigningKeyOf, crossSigningKeysOf, claimLocalKeys, localDeviceKeys, publishedDeviceKeys } from '../../e2e/local-keys.js';
import { invalidParam, notFound } from '../../errors.js';
import { serverOfUserId } from '../../user-ids.js';

/**
 * Device lists and end-to-end keys of our users, as other servers ask for them (server-server
 * user_devices.yaml, user_keys.yaml), answered from the database (services/e2e/local-keys.ts).
 * Only the owner's signatures are shown: signatures our users made of others' keys are theirs
 * alone. Devices without keys are not listed (the spec makes `keys` required).
 */
export class UserKeys {
  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
  ) {}

  /** GET /user/devices/{userId}: stream_id is the position the next m.device_list_update names as prev_id. */
  devices(userId: string): JsonObject {
    if (serverOfUserId(userId) !== this.serverName) throw invalidParam(`${userId} is not a user of this server`);
    if (!this.storage.accounts.get(userId)) throw notFound(`Unknown user ${userId}`);
    const { storage } = this;
    const devices = storage.e2eKeys.deviceKeysOfUser(userId).map(({ deviceId, keysJson }) => {
      const device: JsonObject = { device_id: deviceId, keys: publishedDeviceKeys(storage, userId, deviceId, keysJson) };
      const name = storage.devices.get(userId, deviceId)?.displayName;
      if (name !== undefined && name !== null) device['device_display_name'] = name;
      return device;
    });
    const out: JsonObject = { user_id: userId, stream_id: storage.deviceLists.lastDeviceStreamId(userId) ?? 0, devices };
    const master = crossSigningKeyOf(storage, userId, 'master', undefined);
    const selfSigning = crossSigningKeyOf(storage, userId, 'self_signing', undefined);
    if (master) out['master_key'] = master;
    if (selfSigning) out['self_signing_key'] = selfSigning;
    return out;
  }

  /** POST /user/keys/query: our users only (others' are not ours to answer). */
  query(deviceKeys: Readonly<Record<string, readonly string[]>>): JsonObject {
    const local = Object.fromEntries(Object.entries(deviceKeys).filter(([userId]) => serverOfUserId(userId) === this.serverName));
    const { master_keys, self_signing_keys } = crossSigningKeysOf(this.storage, Object.keys(local), undefined);
    return { device_keys: localDeviceKeys(this.storage, local, true), master_keys, self_signing_keys };
  }

  /** POST /user/keys/claim: a one-time key (else the fallback key) per device of our users. */
  claim(oneTimeKeys: Readonly<Record<string, Readonly<Record<string, string>>>>): JsonObject {
    const local = Object.fromEntries(Object.entries(oneTimeKeys).filter(([userId]) => serverOfUserId(userId) === this.serverName));
    return { one_time_keys: claimLocalKeys(this.storage, local) };
  }
}
