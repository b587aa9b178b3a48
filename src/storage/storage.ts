import { AccountsRepo } from './accounts-repo.js';
import { openDatabase, type Db, type OpenDatabaseOptions } from './database.js';
import { DevicesRepo } from './devices-repo.js';
import { FiltersRepo } from './filters-repo.js';
import { ProfilesRepo } from './profiles-repo.js';
import { RegistrationTokensRepo } from './registration-tokens-repo.js';
import { TokensRepo } from './tokens-repo.js';
import { AliasesRepo } from './aliases-repo.js';
import { EventsRepo } from './events-repo.js';
import { MembershipsRepo } from './memberships-repo.js';
import { RoomsRepo } from './rooms-repo.js';
import { StateRepo } from './state-repo.js';
import { TxnRepo } from './txn-repo.js';
import { AccountDataRepo } from './account-data-repo.js';
import { PresenceRepo } from './presence-repo.js';
import { ReceiptsRepo } from './receipts-repo.js';
import { ReportsRepo } from './reports-repo.js';
import { RoomReadsRepo } from './room-reads-repo.js';
import { StreamPositionsRepo } from './stream-positions-repo.js';
import { TimelineRepo } from './timeline-repo.js';
import { UserDirectoryRepo } from './user-directory-repo.js';
import { FederationQueueRepo } from './federation-queue-repo.js';
import { ServerKeysRepo } from './server-keys-repo.js';
import { SensorsRepo } from './sensors-repo.js';
import { FederationInboundRepo } from './federation-inbound-repo.js';
import { FederationReadsRepo } from './federation-reads-repo.js';
import { OpenIdTokensRepo } from './openid-tokens-repo.js';
import { MediaRepo } from './media-repo.js';
import { RemoteMediaRepo } from './remote-media-repo.js';
import { ToDeviceRepo } from './to-device-repo.js';
import { E2eKeysRepo } from './e2e-keys-repo.js';
import { CrossSigningRepo } from './cross-signing-repo.js';
import { DeviceListsRepo } from './device-lists-repo.js';
import { RemoteDevicesRepo } from './remote-devices-repo.js';
import { KeyBackupRepo } from './key-backup-repo.js';
import { PushRulesRepo } from './push-rules-repo.js';
import { PushActionsRepo } from './push-actions-repo.js';
import { PushersRepo } from './pushers-repo.js';
import { RelationsRepo } from './relations-repo.js';
import { SearchRepo } from './search-repo.js';

/**
 * The storage layer: one repository per aggregate over one SQLite connection. Services group
 * writes that belong together with `transaction` (synchronous: nothing awaits inside it).
 */
export interface Storage {
  readonly accounts: AccountsRepo;
  readonly devices: DevicesRepo;
  readonly tokens: TokensRepo;
  readonly profiles: ProfilesRepo;
  readonly filters: FiltersRepo;
  readonly registrationTokens: RegistrationTokensRepo;
  // Rooms and the event DAG (services/rooms).
  readonly rooms: RoomsRepo;
  readonly events: EventsRepo;
  readonly state: StateRepo;
  readonly memberships: MembershipsRepo;
  readonly aliases: AliasesRepo;
  readonly txns: TxnRepo;
  // Sync and the read side (services/sync, services/ephemeral, services/timeline).
  readonly streamPositions: StreamPositionsRepo;
  readonly accountData: AccountDataRepo;
  readonly receipts: ReceiptsRepo;
  readonly presence: PresenceRepo;
  readonly reports: ReportsRepo;
  readonly userDirectory: UserDirectoryRepo;
  readonly timeline: TimelineRepo;
  readonly roomReads: RoomReadsRepo;
  // Event relationships (m.relates_to): /relations, /threads, bundled aggregations.
  readonly relations: RelationsRepo;
  // The full-text index behind POST /search.
  readonly search: SearchRepo;
  // Federation (services/federation): remote server keys, the outbound transaction queue.
  readonly serverKeys: ServerKeysRepo;
  readonly federationQueue: FederationQueueRepo;
  // Inbound federation (services/federation/inbound, reads): transactions answered, EDUs kept, DAG walks.
  readonly federationInbound: FederationInboundRepo;
  readonly federationReads: FederationReadsRepo;
  // Sensors (services/sensors.ts): OSCORE security contexts of sensor devices.
  readonly sensors: SensorsRepo;
  // OpenID tokens handed to clients and exchanged by other servers (federation/membership).
  readonly openIdTokens: OpenIdTokensRepo;
  // Local media metadata (services/media.ts); the bytes are files under <data_dir>/media.
  readonly media: MediaRepo;
  // Cached media of other servers (services/media/remote-media.ts); files under <data_dir>/remote_media.
  readonly remoteMedia: RemoteMediaRepo;
  // Send-to-device messages (services/to-device.ts): per-device inboxes, transaction IDs, EDUs seen.
  readonly toDevice: ToDeviceRepo;
  // End-to-end encryption (services/e2e): device, one-time and fallback keys; cross-signing keys and
  // signatures; the device-list change stream; what we know of remote users' device lists.
  readonly e2eKeys: E2eKeysRepo;
  readonly crossSigning: CrossSigningRepo;
  readonly deviceLists: DeviceListsRepo;
  readonly remoteDevices: RemoteDevicesRepo;
  // Server-side key backups (services/e2e/backup-*): backup versions and the room keys in them.
  readonly keyBackup: KeyBackupRepo;
  // Push (services/push): users' push rules, the notifications events produced, pushers.
  readonly pushRules: PushRulesRepo;
  readonly pushActions: PushActionsRepo;
  readonly pushers: PushersRepo;
  /** Runs fn in one transaction (nested calls become savepoints); rolls back if it throws. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export function openStorage(options: OpenDatabaseOptions): Storage {
  return storageOn(openDatabase(options));
}

export function storageOn(db: Db): Storage {
  return {
    accounts: new AccountsRepo(db),
    devices: new DevicesRepo(db),
    tokens: new TokensRepo(db),
    profiles: new ProfilesRepo(db),
    filters: new FiltersRepo(db),
    registrationTokens: new RegistrationTokensRepo(db),
    rooms: new RoomsRepo(db),
    events: new EventsRepo(db),
    state: new StateRepo(db),
    memberships: new MembershipsRepo(db),
    aliases: new AliasesRepo(db),
    txns: new TxnRepo(db),
    streamPositions: new StreamPositionsRepo(db),
    accountData: new AccountDataRepo(db),
    receipts: new ReceiptsRepo(db),
    presence: new PresenceRepo(db),
    reports: new ReportsRepo(db),
    userDirectory: new UserDirectoryRepo(db),
    timeline: new TimelineRepo(db),
    roomReads: new RoomReadsRepo(db),
    relations: new RelationsRepo(db),
    search: new SearchRepo(db),
    serverKeys: new ServerKeysRepo(db),
    federationQueue: new FederationQueueRepo(db),
    federationInbound: new FederationInboundRepo(db),
    federationReads: new FederationReadsRepo(db),
    sensors: new SensorsRepo(db),
    openIdTokens: new OpenIdTokensRepo(db),
    media: new MediaRepo(db),
    remoteMedia: new RemoteMediaRepo(db),
    toDevice: new ToDeviceRepo(db),
    e2eKeys: new E2eKeysRepo(db),
    crossSigning: new CrossSigningRepo(db),
    deviceLists: new DeviceListsRepo(db),
    remoteDevices: new RemoteDevicesRepo(db),
    keyBackup: new KeyBackupRepo(db),
    pushRules: new PushRulesRepo(db),
    pushActions: new PushActionsRepo(db),
    pushers: new PushersRepo(db),
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
    close: () => db.close(),
  };
}
