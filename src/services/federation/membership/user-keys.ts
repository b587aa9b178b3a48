import type { JsonObject } from '../../../core/json.js';
import type { Storage } from '../../../storage/storage.js';
import { invalidParam, notFound } from '../../errors.js';
import { serverOfUserId } from '../../user-ids.js';

/**
 * Device lists and end-to-end keys of our users, as other servers ask for them (server-server
 * user_devices.yaml, user_keys.yaml). Lattice has no end-to-end encryption yet: no device has
 * published keys, so every answer is empty, in the shape the spec gives (a device without keys
 * cannot be listed, `keys` being required). The E2EE work fills these in.
 */
export class UserKeys {
  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
  ) {}

  /** GET /user/devices/{userId}. */
  devices(userId: string): JsonObject {
    if (serverOfUserId(userId) !== this.serverName) throw invalidParam(`${userId} is not a user of this server`);
    if (!this.storage.accounts.get(userId)) throw notFound(`Unknown user ${userId}`);
    return { user_id: userId, stream_id: 0, devices: [] };
  }

  /** POST /user/keys/query: our users only; each with no device keys. */
  query(deviceKeys: Readonly<Record<string, readonly string[]>>): JsonObject {
    const out: JsonObject = {};
    for (const userId of Object.keys(deviceKeys)) {
      if (serverOfUserId(userId) === this.serverName && this.storage.accounts.get(userId)) out[userId] = {};
    }
    return { device_keys: out };
  }

  /** POST /user/keys/claim: no device has uploaded one-time keys. */
  claim(): JsonObject {
    return { one_time_keys: {} };
  }
}
