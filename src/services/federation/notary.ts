import { isJsonObject, type JsonObject } from '../../core/json.js';
import { signJson } from '../../core/signing.js';
import type { Clock } from '../clock.js';
import { invalidParam } from '../errors.js';
import type { KeyRing } from './keys.js';
import type { OwnServerKeys } from './own-keys.js';

/**
 * Acting as a key notary (`/_matrix/key/v2/query`): hand out other servers' key responses as
 * their servers signed them, with our own signature added so the asker can trust the relay.
 */

/** How many servers one bulk query may name: each may cost an outbound fetch. */
export const MAX_NOTARY_SERVERS = 100;

export class KeyNotary {
  constructor(
    private readonly keyRing: KeyRing,
    private readonly ownKeys: OwnServerKeys,
    private readonly clock: Clock,
  ) {}

  /** GET /query/{serverName}: every key of one server, valid until at least `minimumValidUntilTs` (default now). */
  async queryServer(serverName: string, minimumValidUntilTs: number | undefined): Promise<JsonObject> {
    const responses = await this.keyRing.storedResponses(serverName, [], minimumValidUntilTs ?? this.clock.now());
    return { server_keys: responses.map((r) => this.countersign(r)) };
  }

  /** POST /query: `server_keys` maps server → key id → { minimum_valid_until_ts }. */
  async queryBulk(serverKeys: JsonObject): Promise<JsonObject> {
    const servers = Object.entries(serverKeys);
    if (servers.length > MAX_NOTARY_SERVERS) throw invalidParam(`At most ${MAX_NOTARY_SERVERS} servers per query`);
    const now = this.clock.now();
    const perServer = await Promise.all(
      servers.map(async ([serverName, criteria]) => {
        const keyIds = isJsonObject(criteria) ? Object.keys(criteria) : [];
        // The strictest minimum asked for any of the server's keys applies to the fetch.
        let minimum = now;
        if (isJsonObject(criteria) && keyIds.length > 0) {
          minimum = Math.max(
            ...keyIds.map((k) => {
              const c = criteria[k];
              const ts = isJsonObject(c) ? c['minimum_valid_until_ts'] : undefined;
              return typeof ts === 'number' && Number.isSafeInteger(ts) ? ts : now;
            }),
          );
        }
        return this.keyRing.storedResponses(serverName, keyIds, minimum);
      }),
    );
    return { server_keys: perServer.flat().map((r) => this.countersign(r)) };
  }

  private countersign(response: JsonObject): JsonObject {
    return signJson(response, this.ownKeys.serverName, this.ownKeys.signingKey);
  }
}
