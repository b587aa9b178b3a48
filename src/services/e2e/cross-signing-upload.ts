import type { JsonObject, JsonValue } from '../../core/json.js';
import type { CrossSigningKeyType } from '../../storage/cross-signing-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import { forbidden, missingParam } from '../errors.js';
import type { Requester } from '../requester.js';
import { STAGE, type UserInteractiveAuth } from '../uia.js';
import type { DeviceListStream } from './device-list-stream.js';
import { checkCrossSigningKey, invalidSignature, signedBy, type CrossSigningKey } from './key-objects.js';

/**
 * POST /keys/device_signing/upload. The first cross-signing keys of a user need no
 * user-interactive auth (MSC3967, spec v1.11, as Synapse); replacing existing keys needs the
 * account's password; sending exactly the keys we hold is a no-op (a retried request). The
 * self-signing and user-signing keys must carry a valid signature of the master key (the one
 * sent along, or the one we hold). Every check runs before UIA and before anything is stored.
 */

export interface CrossSigningUploadRequest {
  readonly master_key?: JsonValue | undefined;
  readonly self_signing_key?: JsonValue | undefined;
  readonly user_signing_key?: JsonValue | undefined;
  readonly auth?: JsonObject | undefined;
}

const FIELDS: readonly [keyof CrossSigningUploadRequest, CrossSigningKeyType][] = [
  ['master_key', 'master'],
  ['self_signing_key', 'self_signing'],
  ['user_signing_key', 'user_signing'],
];

export class CrossSigningUploader {
  constructor(
    private readonly storage: Storage,
    private readonly uia: UserInteractiveAuth,
    private readonly stream: DeviceListStream,
    private readonly clock: Clock,
  ) {}

  async upload(requester: Requester, request: CrossSigningUploadRequest, clientIp: string): Promise<void> {
    const { userId } = requester;
    const { crossSigning } = this.storage;
    const keys = new Map<CrossSigningKeyType, CrossSigningKey>();
    for (const [field, type] of FIELDS) {
      if (request[field] !== undefined) keys.set(type, checkCrossSigningKey(request[field], userId, type));
    }
    const heldMaster = crossSigning.get(userId, 'master');
    const master = keys.get('master') ?? (heldMaster && checkCrossSigningKey(JSON.parse(heldMaster.keyJson) as JsonObject, userId, 'master'));
    if (!master) throw missingParam('No master key available to verify the other keys');
    for (const type of ['self_signing', 'user_signing'] as const) {
      const key = keys.get(type);
      if (key && !signedBy(key.value, userId, master.keyId, master.publicKey)) throw invalidSignature(`Invalid signature on the ${type} key`);
    }
    // A key whose ID is one of the user's device IDs would make the two indistinguishable in
    // signatures ("ed25519:<id>"): the spec's 403.
    for (const key of keys.values()) {
      if (this.storage.devices.get(userId, key.publicKey)) throw forbidden('Key ID in use by one of your devices');
    }

    const changes = [...keys.values()].filter((key) => crossSigning.get(userId, key.type)?.keyJson !== key.json);
    if (changes.length === 0) return;
    if (heldMaster) {
      await this.uia.authenticate({ operation: 'uploadCrossSigningKeys', auth: request.auth, flows: [[STAGE.password]], userId, clientIp });
    }
    const now = this.clock.now();
    const changed = this.storage.transaction(() =>
      changes.filter((key) => crossSigning.put({ userId, type: key.type, publicKey: key.publicKey, keyJson: key.json }, now)),
    );
    if (changed.some((key) => key.type !== 'user_signing')) this.stream.crossSigningChanged(userId, true);
    if (changed.some((key) => key.type === 'user_signing')) this.stream.crossSigningChanged(userId, false);
  }
}
