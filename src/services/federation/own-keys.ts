import type { OldSigningKey } from '../../config-federation.js';
import { decodeBase64 } from '../../core/base64.js';
import type { JsonObject } from '../../core/json.js';
import { signJson, type SigningKey } from '../../core/signing.js';
import type { Clock } from '../clock.js';

/**
 * Our own server keys: the signed `/_matrix/key/v2/server` response, and our keys as the key ring
 * sees them (we never fetch our own keys over the network).
 */
export class OwnServerKeys {
  private cached: { readonly response: JsonObject; readonly refreshAtTs: number } | undefined;
  private readonly oldKeys: ReadonlyMap<string, { readonly publicKey: Uint8Array; readonly expiredTs: number; readonly base64: string }>;

  constructor(
    readonly serverName: string,
    readonly signingKey: SigningKey,
    oldSigningKeys: readonly OldSigningKey[],
    private readonly refreshIntervalMs: number,
    private readonly clock: Clock,
  ) {
    this.oldKeys = new Map(
      oldSigningKeys
        .filter((k) => k.keyId !== signingKey.keyId)
        .map((k) => [k.keyId, { publicKey: decodeBase64(k.key), expiredTs: k.expiredTs, base64: k.key }]),
    );
  }

  /**
   * The signed key response. Re-signed once half its validity has passed, so what we hand out
   * always stays valid for at least half the refresh interval (the spec asks origins not to
   * serve responses that expire within the hour; the default interval is a day).
   */
  response(): JsonObject {
    const now = this.clock.now();
    if (this.cached && now < this.cached.refreshAtTs) return this.cached.response;
    const old: JsonObject = {};
    for (const [keyId, k] of this.oldKeys) old[keyId] = { key: k.base64, expired_ts: k.expiredTs };
    const response = signJson(
      {
        server_name: this.serverName,
        valid_until_ts: now + this.refreshIntervalMs,
        verify_keys: { [this.signingKey.keyId]: { key: this.signingKey.publicKeyBase64 } },
        old_verify_keys: old,
      },
      this.serverName,
      this.signingKey,
    );
    this.cached = { response, refreshAtTs: now + this.refreshIntervalMs / 2 };
    return response;
  }

  /** One of our keys, if it may vouch for `minimumValidUntilTs`. */
  verifyKey(keyId: string, minimumValidUntilTs: number): Uint8Array | undefined {
    if (keyId === this.signingKey.keyId) return this.signingKey.publicKey;
    const old = this.oldKeys.get(keyId);
    return old && old.expiredTs >= minimumValidUntilTs ? old.publicKey : undefined;
  }
}
