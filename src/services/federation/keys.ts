import type { TrustedKeyServer } from '../../config-federation.js';
import { decodeBase64 } from '../../core/base64.js';
import { isJsonObject, type JsonObject } from '../../core/json.js';
import { checkServerKeyResponse, type CheckedKeyResponse } from '../../core/server-keys.js';
import { isValidServerName } from '../../core/server-name.js';
import { verifyJsonSignature } from '../../core/signing.js';
import type { ServerKeysRepo, StoredServerKey } from '../../storage/server-keys-repo.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { FederationClient } from './federation-client.js';
import type { OwnServerKeys } from './own-keys.js';

/**
 * The key ring: remote servers' signing keys, fetched on demand and kept in SQLite.
 *
 * `getVerifyKey(server, keyId, minimumValidUntilTs)` is what signature checks call (X-Matrix
 * requests with `now`, PDUs of room v5+ with their origin_server_ts, older rooms with 0). A key
 * counts only if it may vouch for that time: valid_until_ts capped at fetch + 7 days, or
 * expired_ts for keys listed as old. Misses go into a batch flushed on the next turn of the event
 * loop: each server is asked directly (`GET /_matrix/key/v2/server`) and whatever is still
 * missing is asked of the trusted notaries in one `POST /_matrix/key/v2/query` each. Concurrent
 * callers for one server share one fetch, and a server whose keys were just fetched is not asked
 * again for `refetchIntervalMs` (a hostile peer naming made-up key ids cannot make us hammer it).
 */

/** Key responses are small; a peer answering megabytes is hostile. */
const KEY_RESPONSE_MAX_BYTES = 1024 * 1024;
/** Key id meaning "any current key of the server" (notary queries naming no key ids). */
const ANY_KEY = '*';
const MEMORY_CACHE_LIMIT = 10_000;

export interface KeyRingDeps {
  readonly ownKeys: OwnServerKeys;
  readonly repo: ServerKeysRepo;
  readonly client: FederationClient;
  readonly clock: Clock;
  readonly log: Logger;
  readonly trustedKeyServers: readonly TrustedKeyServer[];
  readonly refetchIntervalMs?: number;
}

interface Batch {
  /** server → key id → the largest minimum_valid_until_ts asked for. */
  readonly wanted: Map<string, Map<string, number>>;
  readonly done: Promise<void>;
  readonly resolve: () => void;
}

export class KeyRing {
  private readonly memory = new Map<string, StoredServerKey>();
  private nextBatch: Batch | undefined;
  private readonly running = new Map<string, Promise<void>>();
  private readonly lastFetchTs = new Map<string, number>();
  private readonly refetchIntervalMs: number;

  constructor(private readonly deps: KeyRingDeps) {
    this.refetchIntervalMs = deps.refetchIntervalMs ?? 30_000;
  }

  /**
   * The public key `server` signs with as `keyId`, provided it may vouch for
   * `minimumValidUntilTs`; undefined when no such key can be found.
   */
  async getVerifyKey(server: string, keyId: string, minimumValidUntilTs: number): Promise<Uint8Array | undefined> {
    if (server === this.deps.ownKeys.serverName) return this.deps.ownKeys.verifyKey(keyId, minimumValidUntilTs);
    const cached = this.usableKey(server, keyId, minimumValidUntilTs);
    if (cached || !isValidServerName(server)) return cached;
    await this.fetch(server, keyId, minimumValidUntilTs);
    return this.usableKey(server, keyId, minimumValidUntilTs);
  }

  /**
   * For the notary endpoints: the origin-signed key responses we hold for `server` covering
   * `keyIds` (every key when empty), fetched from the server first when what we hold does not
   * reach `minimumValidUntilTs`. When the server is down, the last responses we saw are returned
   * (so old signatures stay checkable), as the spec asks of notaries.
   */
  async storedResponses(server: string, keyIds: readonly string[], minimumValidUntilTs: number): Promise<JsonObject[]> {
    if (server === this.deps.ownKeys.serverName) return [this.deps.ownKeys.response()];
    if (!isValidServerName(server)) return [];
    const wanted = keyIds.length > 0 ? keyIds : [ANY_KEY];
    const unmet = wanted.filter((k) => !this.satisfied(server, k, minimumValidUntilTs));
    if (unmet.length > 0) await Promise.all(unmet.map((k) => this.fetch(server, k, minimumValidUntilTs)));
    return this.deps.repo.responsesFor(server, keyIds).flatMap((r) => {
      const parsed: unknown = JSON.parse(r.json);
      return isJsonObject(parsed) ? [parsed] : [];
    });
  }

  private usableKey(server: string, keyId: string, minimumValidUntilTs: number): Uint8Array | undefined {
    const key = this.stored(server, keyId);
    return key && key.validUntilTs >= minimumValidUntilTs ? key.publicKey : undefined;
  }

  private stored(server: string, keyId: string): StoredServerKey | undefined {
    const cacheKey = `${server}\n${keyId}`;
    let key = this.memory.get(cacheKey);
    if (key) return key;
    key = this.deps.repo.get(server, keyId);
    if (key) {
      if (this.memory.size >= MEMORY_CACHE_LIMIT) {
        const oldest = this.memory.keys().next().value;
        if (oldest !== undefined) this.memory.delete(oldest);
      }
      this.memory.set(cacheKey, key);
    }
    return key;
  }

  private satisfied(server: string, keyId: string, minimumValidUntilTs: number): boolean {
    if (keyId !== ANY_KEY) return this.usableKey(server, keyId, minimumValidUntilTs) !== undefined;
    return this.deps.repo.responsesFor(server, []).some((r) => r.validUntilTs >= minimumValidUntilTs);
  }

  /** Joins the fetch under way for `server`, or puts it in the next batch. */
  private fetch(server: string, keyId: string, minimumValidUntilTs: number): Promise<void> {
    const running = this.running.get(server);
    if (running) return running;
    const last = this.lastFetchTs.get(server);
    if (last !== undefined && this.deps.clock.now() - last < this.refetchIntervalMs) return Promise.resolve();
    let batch = this.nextBatch;
    if (!batch) {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      const created: Batch = { wanted: new Map(), done, resolve };
      batch = created;
      this.nextBatch = created;
      setImmediate(() => void this.runBatch(created));
    }
    let keys = batch.wanted.get(server);
    if (!keys) batch.wanted.set(server, (keys = new Map()));
    keys.set(keyId, Math.max(keys.get(keyId) ?? 0, minimumValidUntilTs));
    return batch.done;
  }

  private async runBatch(batch: Batch): Promise<void> {
    if (this.nextBatch === batch) this.nextBatch = undefined;
    const servers = [...batch.wanted.keys()];
    const now = this.deps.clock.now();
    for (const server of servers) {
      this.running.set(server, batch.done);
      this.lastFetchTs.set(server, now);
    }
    try {
      await Promise.all(servers.map((server) => this.fetchDirect(server)));
      for (const notary of this.deps.trustedKeyServers) {
        const unmet = this.unmet(batch.wanted);
        if (unmet.size === 0) break;
        await this.fetchFromNotary(notary, unmet);
      }
    } catch (err) {
      this.deps.log.error({ err }, 'key fetch batch failed');
    } finally {
      for (const server of servers) this.running.delete(server);
      batch.resolve();
    }
  }

  private unmet(wanted: Map<string, Map<string, number>>): Map<string, Map<string, number>> {
    const unmet = new Map<string, Map<string, number>>();
    for (const [server, keys] of wanted) {
      for (const [keyId, minTs] of keys) {
        if (this.satisfied(server, keyId, minTs)) continue;
        let m = unmet.get(server);
        if (!m) unmet.set(server, (m = new Map()));
        m.set(keyId, minTs);
      }
    }
    return unmet;
  }

  /** GET /_matrix/key/v2/server from the server itself; failures are logged, not thrown. */
  private async fetchDirect(server: string): Promise<void> {
    try {
      const response = await this.deps.client.request(server, {
        method: 'GET',
        path: '/_matrix/key/v2/server',
        signed: false,
        maxResponseBytes: KEY_RESPONSE_MAX_BYTES,
      });
      this.remember(checkServerKeyResponse(response, server, this.deps.clock.now()));
    } catch (err) {
      this.deps.log.debug({ err, server }, 'fetching server keys directly failed');
    }
  }

  private async fetchFromNotary(notary: TrustedKeyServer, unmet: Map<string, Map<string, number>>): Promise<void> {
    const serverKeys: JsonObject = {};
    for (const [server, keys] of unmet) {
      const criteria: JsonObject = {};
      for (const [keyId, minTs] of keys) if (keyId !== ANY_KEY) criteria[keyId] = { minimum_valid_until_ts: minTs };
      serverKeys[server] = criteria;
    }
    let response: JsonObject;
    try {
      response = await this.deps.client.request(notary.serverName, {
        method: 'POST',
        path: '/_matrix/key/v2/query',
        body: { server_keys: serverKeys },
        signed: false,
        maxResponseBytes: 16 * KEY_RESPONSE_MAX_BYTES,
      });
    } catch (err) {
      this.deps.log.warn({ err, notary: notary.serverName }, 'key notary query failed');
      return;
    }
    const notaryKeys = await this.notaryKeys(notary);
    if (notaryKeys.size === 0) {
      this.deps.log.warn({ notary: notary.serverName }, 'no keys to check the notary\'s signatures with');
      return;
    }
    const entries = Array.isArray(response['server_keys']) ? response['server_keys'] : [];
    const now = this.deps.clock.now();
    for (const entry of entries) {
      if (!isJsonObject(entry) || typeof entry['server_name'] !== 'string' || !unmet.has(entry['server_name'])) continue;
      const server = entry['server_name'];
      const signedByNotary = [...notaryKeys].some(([keyId, key]) => verifyJsonSignature(entry, notary.serverName, keyId, key));
      if (!signedByNotary) {
        this.deps.log.warn({ notary: notary.serverName, server }, 'notary response is not signed by the notary');
        continue;
      }
      try {
        this.remember(checkServerKeyResponse(entry, server, now));
      } catch (err) {
        this.deps.log.warn({ err, notary: notary.serverName, server }, 'notary relayed an invalid key response');
      }
    }
  }

  /** The notary's keys: from the config when given, else fetched from the notary itself. */
  private async notaryKeys(notary: TrustedKeyServer): Promise<Map<string, Uint8Array>> {
    if (notary.verifyKeys) return new Map(Object.entries(notary.verifyKeys).map(([keyId, key]) => [keyId, decodeBase64(key)]));
    const now = this.deps.clock.now();
    const known = this.deps.repo.responsesFor(notary.serverName, []).some((r) => r.validUntilTs >= now);
    if (!known) await this.fetchDirect(notary.serverName);
    const keys = new Map<string, Uint8Array>();
    for (const r of this.deps.repo.responsesFor(notary.serverName, [])) {
      const parsed: unknown = JSON.parse(r.json);
      const verifyKeys = isJsonObject(parsed) && isJsonObject(parsed['verify_keys']) ? parsed['verify_keys'] : {};
      for (const keyId of Object.keys(verifyKeys)) {
        const key = this.usableKey(notary.serverName, keyId, now);
        if (key) keys.set(keyId, key);
      }
    }
    return keys;
  }

  private remember(checked: CheckedKeyResponse): void {
    this.deps.repo.store(checked.serverName, checked.keys, JSON.stringify(checked.originSigned), this.deps.clock.now());
    for (const k of checked.keys) this.memory.delete(`${checked.serverName}\n${k.keyId}`);
  }
}
