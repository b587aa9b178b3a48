import type { JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import type { DeviceService } from '../devices.js';
import type { FederationClient } from '../federation/federation-client.js';
import type { Logger } from '../logger.js';
import type { Notifier } from '../notifier.js';
import type { SessionService } from '../sessions.js';
import type { UserInteractiveAuth } from '../uia.js';
import { BackupKeys } from './backup-keys.js';
import { BackupVersions } from './backup-versions.js';
import { CrossSigningUploader } from './cross-signing-upload.js';
import { DeviceListStream } from './device-list-stream.js';
import { KeyClaim } from './key-claim.js';
import { keyChanges } from './key-changes.js';
import { KeyQuery } from './key-query.js';
import { KeyUploader } from './key-upload.js';
import { RemoteDeviceLists } from './remote-device-lists.js';
import { SignaturesUploader } from './signatures-upload.js';

/**
 * End-to-end encryption's server side (see README.md): device, one-time and fallback keys,
 * cross-signing keys and signatures, and device lists — our users' (a change stream that /sync,
 * /keys/changes and the federation fan-out read) and remote users' (kept from their servers'
 * EDUs). Built once per homeserver; subscribes to device creation, renames and deletions.
 */
export interface E2eServices {
  readonly upload: KeyUploader;
  readonly query: KeyQuery;
  readonly claim: KeyClaim;
  readonly crossSigning: CrossSigningUploader;
  readonly signatures: SignaturesUploader;
  /** The device-list change stream; `onLocalChange` feeds the federation fan-out. */
  readonly stream: DeviceListStream;
  /** Remote users' device lists; the inbound EDU handlers' entry point. */
  readonly remoteDeviceLists: RemoteDeviceLists;
  /** GET /keys/changes. */
  changes(userId: string, from: string, to: string | undefined): JsonObject;
  /** Server-side key backups (/room_keys): versions, and the encrypted room keys in them. */
  readonly backup: { readonly versions: BackupVersions; readonly keys: BackupKeys };
}

export interface E2eDeps {
  readonly serverName: string;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly log: Logger;
  readonly notifier: Notifier;
  readonly uia: UserInteractiveAuth;
  readonly sessions: SessionService;
  readonly devices: DeviceService;
  readonly federationClient: FederationClient;
}

export function createE2eServices(deps: E2eDeps): E2eServices {
  const { serverName, storage, clock, log } = deps;
  const stream = new DeviceListStream(storage, deps.notifier, serverName, log);
  // A new, renamed or deleted device changes the user's published device list.
  deps.sessions.onDeviceCreated((userId, deviceId) => stream.devicesChanged(userId, [deviceId], false));
  deps.devices.onRenamed((userId, deviceId) => stream.devicesChanged(userId, [deviceId], false));
  deps.devices.onDeleted((userId, deviceIds) => stream.devicesChanged(userId, deviceIds, true));

  const remoteDeviceLists = new RemoteDeviceLists(storage, deps.federationClient, stream, serverName, clock, log);
  return {
    upload: new KeyUploader(storage, stream, clock),
    query: new KeyQuery(storage, deps.federationClient, remoteDeviceLists, serverName),
    claim: new KeyClaim(storage, deps.federationClient, serverName),
    crossSigning: new CrossSigningUploader(storage, deps.uia, stream, clock),
    signatures: new SignaturesUploader(storage, remoteDeviceLists, stream, serverName),
    stream,
    remoteDeviceLists,
    changes: (userId, from, to) => keyChanges(storage, userId, from, to),
    backup: { versions: new BackupVersions(storage), keys: new BackupKeys(storage) },
  };
}
