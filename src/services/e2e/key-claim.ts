import { isJsonObject, type JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import type { FederationClient } from '../federation/federation-client.js';
import { serverOfUserId } from '../user-ids.js';
import { splitKeyName } from './key-objects.js';
import { claimLocalKeys } from './local-keys.js';
import { remoteFailure, remoteTimeoutMs } from './remote-failure.js';

/**
 * POST /keys/claim: one key per (user, device, algorithm), a one-time key while there are any,
 * else the device's fallback key. Local devices from the database; remote ones through their
 * server (POST user/keys/claim, all servers at once, within `timeout`), a server that cannot be
 * asked landing in `failures`.
 */

export type ClaimQuery = Readonly<Record<string, Readonly<Record<string, string>>>>;

export class KeyClaim {
  constructor(
    private readonly storage: Storage,
    private readonly client: FederationClient,
    private readonly serverName: string,
  ) {}

  async claim(query: ClaimQuery, timeout: number | undefined): Promise<JsonObject> {
    const local: Record<string, Readonly<Record<string, string>>> = {};
    const byServer = new Map<string, Record<string, Readonly<Record<string, string>>>>();
    for (const [userId, devices] of Object.entries(query)) {
      const server = serverOfUserId(userId);
      if (server === undefined) continue;
      if (server === this.serverName) {
        local[userId] = devices;
        continue;
      }
      let users = byServer.get(server);
      if (!users) byServer.set(server, (users = {}));
      users[userId] = devices;
    }
    const oneTimeKeys = claimLocalKeys(this.storage, local);
    const failures: JsonObject = {};
    const timeoutMs = remoteTimeoutMs(timeout);
    await Promise.all(
      [...byServer].map(async ([server, users]) => {
        try {
          Object.assign(oneTimeKeys, await this.claimRemote(server, users, timeoutMs));
        } catch (err) {
          failures[server] = remoteFailure(err);
        }
      }),
    );
    return { one_time_keys: oneTimeKeys, failures };
  }

  /** The server's answer for the devices asked for: one key of the asked algorithm each, or nothing. */
  private async claimRemote(server: string, users: Record<string, Readonly<Record<string, string>>>, timeoutMs: number): Promise<JsonObject> {
    const body = await this.client.request(server, {
      method: 'POST',
      path: '/_matrix/federation/v1/user/keys/claim',
      body: { one_time_keys: users },
      timeoutMs,
    });
    const answered = isJsonObject(body['one_time_keys']) ? body['one_time_keys'] : {};
    const out: JsonObject = {};
    for (const [userId, devices] of Object.entries(users)) {
      const userKeys = answered[userId];
      if (!isJsonObject(userKeys)) continue;
      const claimed: JsonObject = {};
      for (const [deviceId, algorithm] of Object.entries(devices)) {
        const keys = userKeys[deviceId];
        if (!isJsonObject(keys)) continue;
        const entry = Object.entries(keys).find(([name, value]) => splitKeyName(name)?.algorithm === algorithm && (typeof value === 'string' || isJsonObject(value)));
        if (entry) claimed[deviceId] = { [entry[0]]: entry[1] };
      }
      if (Object.keys(claimed).length > 0) out[userId] = claimed;
    }
    return out;
  }
}
