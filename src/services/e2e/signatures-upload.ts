import { isJsonObject, type JsonObject } from '../../core/json.js';
import { signableJson } from '../../core/signing.js';
import type { StoredCrossSigningKey, StoredSignature } from '../../storage/cross-signing-repo.js';
import type { Storage } from '../../storage/storage.js';
import { ErrCode, invalidParam, MatrixError, notFound } from '../errors.js';
import { serverOfUserId } from '../user-ids.js';
import type { DeviceListStream } from './device-list-stream.js';
import { invalidSignature, publicKeyBytes, signedBy } from './key-objects.js';
import type { RemoteDeviceLists } from './remote-device-lists.js';

/**
 * POST /keys/signatures/upload, as Synapse processes it:
 * - the user's own keys: a device signed by their self-signing key, or their master key signed
 *   by one of their devices;
 * - other users' master keys signed by the user's user-signing key (only the signer sees those).
 * Each signed object must be the key we hold (signatures and `unsigned` aside) with a valid
 * signature; what fails lands in `failures` per user and key, the rest is stored. Stored
 * signatures are device-list changes: room-mates hear of a signed device or master key, the
 * signer alone of signatures of other users.
 */

export type SignaturesUpload = Readonly<Record<string, Readonly<Record<string, JsonObject>>>>;

export const MAX_SIGNED_KEYS = 1000;
/** Each other user may cost a request to their server (an unknown master key). */
export const MAX_SIGNED_USERS = 100;

interface Outcome {
  readonly signatures: StoredSignature[];
  readonly failures: JsonObject;
  readonly signedDevices: string[];
  masterSigned: boolean;
  readonly signedUsers: string[];
}

export class SignaturesUploader {
  constructor(
    private readonly storage: Storage,
    private readonly remote: RemoteDeviceLists,
    private readonly stream: DeviceListStream,
    private readonly serverName: string,
  ) {}

  async upload(userId: string, upload: SignaturesUpload): Promise<JsonObject> {
    const total = Object.values(upload).reduce((n, keys) => n + Object.keys(keys).length, 0);
    if (total > MAX_SIGNED_KEYS) throw invalidParam(`At most ${MAX_SIGNED_KEYS} signed keys per request`);
    if (Object.keys(upload).length > MAX_SIGNED_USERS) throw invalidParam(`At most ${MAX_SIGNED_USERS} users per request`);
    const outcome: Outcome = { signatures: [], failures: {}, signedDevices: [], masterSigned: false, signedUsers: [] };
    const own = upload[userId];
    if (own) this.ownKeys(userId, own, outcome);
    for (const [target, keys] of Object.entries(upload)) {
      if (target !== userId && Object.keys(keys).length > 0) await this.otherUser(userId, target, keys, outcome);
    }
    this.storage.transaction(() => {
      for (const signature of outcome.signatures) this.storage.crossSigning.putSignature(signature);
    });
    this.stream.devicesChanged(userId, outcome.signedDevices, false);
    if (outcome.masterSigned) this.stream.crossSigningChanged(userId, true);
    this.stream.signedOthers(userId, outcome.signedUsers);
    return { failures: outcome.failures };
  }

  /** Devices signed by the self-signing key; the master key signed by devices. */
  private ownKeys(userId: string, keys: Readonly<Record<string, JsonObject>>, outcome: Outcome): void {
    const master = this.storage.crossSigning.get(userId, 'master');
    const selfSigning = this.storage.crossSigning.get(userId, 'self_signing');
    for (const [keyId, signed] of Object.entries(keys)) {
      try {
        const signatures = signaturesBy(signed, userId);
        if (master && keyId === master.publicKey) {
          for (const [signerKeyId, signature] of Object.entries(signatures)) {
            if (typeof signature !== 'string') throw invalidSignature(`Signature ${signerKeyId} is not a string`);
            const deviceId = signerKeyId.startsWith('ed25519:') ? signerKeyId.slice('ed25519:'.length) : '';
            const deviceKey = this.deviceSigningKey(userId, deviceId, signerKeyId);
            if (deviceKey === undefined) throw invalidSignature(`Signed by unknown device key ${signerKeyId}`);
            checkSigned(signed, master.keyJson, userId, signerKeyId, deviceKey);
            if (!this.held(userId, keyId, userId, signerKeyId, signature)) {
              outcome.signatures.push({ targetUserId: userId, targetKeyId: keyId, signerUserId: userId, signerKeyId, signature });
              outcome.masterSigned = true;
            }
          }
          continue;
        }
        if (!selfSigning) throw notFound('No self-signing key found');
        const signerKeyId = `ed25519:${selfSigning.publicKey}`;
        const signature = signatures[signerKeyId];
        if (typeof signature !== 'string') throw invalidSignature('Not signed by the self-signing key');
        const stored = this.storage.e2eKeys.deviceKeys(userId, keyId);
        if (stored === undefined) throw notFound('Unknown device');
        checkSigned(signed, stored, userId, signerKeyId, selfSigning.publicKey);
        if (!this.held(userId, keyId, userId, signerKeyId, signature)) {
          outcome.signatures.push({ targetUserId: userId, targetKeyId: keyId, signerUserId: userId, signerKeyId, signature });
          outcome.signedDevices.push(keyId);
        }
      } catch (err) {
        fail(outcome, userId, keyId, err);
      }
    }
  }

  /** Another user's master key signed by the user's user-signing key; any other key is unknown. */
  private async otherUser(userId: string, target: string, keys: Readonly<Record<string, JsonObject>>, outcome: Outcome): Promise<void> {
    const userSigning = this.storage.crossSigning.get(userId, 'user_signing');
    const master = await this.masterKeyOf(target);
    for (const [keyId, signed] of Object.entries(keys)) {
      try {
        if (!userSigning) throw notFound('No user-signing key found');
        if (!master || keyId !== master.publicKey) throw notFound('Unknown device');
        const signerKeyId = `ed25519:${userSigning.publicKey}`;
        const signature = signaturesBy(signed, userId)[signerKeyId];
        if (typeof signature !== 'string') throw invalidSignature('Not signed by the user-signing key');
        checkSigned(signed, master.keyJson, userId, signerKeyId, userSigning.publicKey);
        if (!this.held(target, keyId, userId, signerKeyId, signature)) {
          outcome.signatures.push({ targetUserId: target, targetKeyId: keyId, signerUserId: userId, signerKeyId, signature });
          outcome.signedUsers.push(target);
        }
      } catch (err) {
        fail(outcome, target, keyId, err);
      }
    }
  }

  /** The target's master key: held, or (a remote user we never heard of) fetched from their server. */
  private async masterKeyOf(target: string): Promise<StoredCrossSigningKey | undefined> {
    const held = this.storage.crossSigning.get(target, 'master');
    const server = serverOfUserId(target);
    if (held || server === undefined || server === this.serverName) return held;
    try {
      const answer = await this.remote.fetch(target);
      this.remote.storeCrossSigningKeys(target, answer.master, answer.selfSigning);
    } catch {
      return undefined;
    }
    return this.storage.crossSigning.get(target, 'master');
  }

  /** The ed25519 key `ed25519:<deviceId>` of one of the user's devices. */
  private deviceSigningKey(userId: string, deviceId: string, signerKeyId: string): string | undefined {
    const stored = deviceId === '' ? undefined : this.storage.e2eKeys.deviceKeys(userId, deviceId);
    if (stored === undefined) return undefined;
    const keys = (JSON.parse(stored) as JsonObject)['keys'];
    const key = isJsonObject(keys) ? keys[signerKeyId] : undefined;
    return typeof key === 'string' && publicKeyBytes(key) ? key : undefined;
  }

  private held(targetUserId: string, targetKeyId: string, signerUserId: string, signerKeyId: string, signature: string): boolean {
    return this.storage.crossSigning
      .signaturesOf(targetUserId, targetKeyId)
      .some((s) => s.signerUserId === signerUserId && s.signerKeyId === signerKeyId && s.signature === signature);
  }
}

/** `signatures[signer]` of an uploaded object (M_INVALID_SIGNATURE when there is none). */
function signaturesBy(signed: JsonObject, signer: string): JsonObject {
  const all = signed['signatures'];
  const mine = isJsonObject(all) ? all[signer] : undefined;
  if (!isJsonObject(mine)) throw invalidSignature(`No signature by ${signer}`);
  return mine;
}

/** The uploaded object is the stored one (signatures and `unsigned` aside) and `keyId` (`publicKey`) signed it. */
function checkSigned(signed: JsonObject, storedJson: string, signer: string, keyId: string, publicKey: string): void {
  let same: boolean;
  try {
    same = signableJson(signed) === signableJson(JSON.parse(storedJson) as JsonObject);
  } catch {
    same = false;
  }
  if (!same) throw invalidParam('Key does not match the one held');
  if (!signedBy(signed, signer, keyId, publicKey)) throw invalidSignature('Invalid signature');
}

function fail(outcome: Outcome, userId: string, keyId: string, err: unknown): void {
  const failure = err instanceof MatrixError ? { errcode: err.errcode, error: err.message } : { errcode: ErrCode.UNKNOWN, error: 'Internal error' };
  const forUser = outcome.failures[userId];
  outcome.failures[userId] = { ...(isJsonObject(forUser) ? forUser : {}), [keyId]: failure };
}
