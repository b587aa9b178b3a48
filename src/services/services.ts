import type { HomeserverConfig } from '../config.js';
import type { SigningKey } from '../core/signing.js';
import type { Storage } from '../storage/storage.js';
import { AccountService } from './accounts.js';
import type { Clock } from './clock.js';
import { DeviceService } from './devices.js';
import { FilterService } from './filters.js';
import type { Logger } from './logger.js';
import { LoginService } from './login.js';
import { MediaService } from './media.js';
import { ProfileService } from './profile.js';
import { RateLimiter } from './rate-limit.js';
import { RegistrationService } from './registration.js';
import { SessionService } from './sessions.js';
import { SensorService } from './sensors.js';
import { UserInteractiveAuth } from './uia.js';
import { Notifier } from './notifier.js';
import { createRoomServices, type RoomServices } from './rooms/index.js';
import { createReadServices, type ReadServices } from './read-services.js';
import { noFederationClient, type FederationClient, type FederationFileClient } from './federation/federation-client.js';
import { createFederationServices, type FederationServices } from './federation/federation-services.js';
import { createFederationMembership, type FederationMembership } from './federation/membership/index.js';
import { createFederationEventServices, type FederationEventServices } from './federation/federation-events.js';
import { ToDeviceService } from './to-device.js';
import { createPushServices, type PushServices } from './push/index.js';
import { createE2eServices, type E2eServices } from './e2e/index.js';
import { DeviceListFanout } from './e2e/device-list-fanout.js';

/**
 * Everything the endpoints can call, built once per Homeserver instance (no module-level state,
 * so several homeservers can share a process in tests). Storage is deliberately not exposed:
 * endpoints go through services, services through repositories.
 */
/** Facts known only once the listeners are bound (ports may be ephemeral). */
export interface ServerAddress {
  /** The base URL advertised to clients (.well-known): public_baseurl, else the first HTTP listener. */
  publicBaseUrl: string;
  /** The bound CoAP listeners and their MSC3079 table versions, advertised in /versions. */
  lowBandwidth: LowBandwidthAdvertisement | undefined;
}

export interface LowBandwidthAdvertisement {
  readonly coapPorts: readonly number[];
  readonly cborKeyTableVersion: number;
  readonly pathEnumVersion: number;
}

export interface Services extends ReadServices {
  readonly config: HomeserverConfig;
  readonly address: ServerAddress;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signingKey: SigningKey;
  readonly rateLimiter: RateLimiter;
  readonly sessions: SessionService;
  readonly uia: UserInteractiveAuth;
  readonly login: LoginService;
  readonly registration: RegistrationService;
  readonly accounts: AccountService;
  readonly devices: DeviceService;
  readonly profiles: ProfileService;
  readonly filters: FilterService;
  /** Server keys, the key ring and notary, X-Matrix verification, the outbound queue. */
  readonly federation: FederationServices;
  /** Federation's membership side: joins, leaves, knocks, invites across servers; remote queries; spaces; OpenID. */
  readonly federationMembership: FederationMembership;
  /** Room events over federation: /send and the inbound PDU pipeline, our events and EDUs out, /event, /state, /backfill & co. */
  readonly federationEvents: FederationEventServices;
  /** Sensor devices and their OSCORE contexts (CoAP security). */
  readonly sensors: SensorService;
  /** Wakes long-polls (/sync) when a stream moves: events, account data, receipts, typing, presence. */
  readonly notifier: Notifier;
  /** Rooms: the event DAG and its state, room creation, membership, sending, aliases, directory, upgrades. */
  readonly rooms: RoomServices;
  /** The media repository: uploads, the remote media cache and thumbnails (files under <data_dir>, metadata in SQLite). */
  readonly media: MediaService;
  /** Push rules, notifications (unread counts, /notifications) and pushers (no gateway traffic yet). */
  readonly push: PushServices;
  /** Send-to-device messages: local inboxes, m.direct_to_device EDUs out and in. */
  readonly toDevice: ToDeviceService;
  /** End-to-end encryption: device, one-time, fallback and cross-signing keys; device lists (ours and remote users'). */
  readonly e2e: E2eServices;
}

export interface ServiceDeps {
  readonly config: HomeserverConfig;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signingKey: SigningKey;
  /** Outbound federation HTTP (src/transport/federation-client); none: every request fails as unreachable. */
  readonly federationClient?: FederationClient & FederationFileClient;
}

export function createServices({ config, storage, clock, log, signingKey, federationClient }: ServiceDeps): Services {
  const rateLimiter = new RateLimiter(clock);
  const sessions = new SessionService(storage, clock, config.refreshableAccessTokenLifetimeMs);
  const login = new LoginService(config, storage, sessions, rateLimiter);
  // The registration service owns registration tokens; the UIA stage asks it through this late
  // binding because both are built here.
  let registration: RegistrationService | undefined;
  const uia = new UserInteractiveAuth(clock, {
    password: (userId, auth) => login.checkUiaPassword(userId, auth),
    registrationTokenValid: (token) => registration?.registrationTokenValid(token) ?? false,
  });
  registration = new RegistrationService(config, storage, clock, sessions, uia, rateLimiter);
  const devices = new DeviceService(storage, uia, log);
  const notifier = new Notifier();
  const filters = new FilterService(storage);
  const accounts = new AccountService(storage, uia, devices, log);
  const profiles = new ProfileService(storage, log);
  const rooms = createRoomServices({ storage, clock, log, signingKey, serverName: config.serverName, notifier, profiles, accounts });
  const federation = createFederationServices({ config, storage, clock, log, signingKey, client: federationClient ?? noFederationClient });
  const readServices = createReadServices({ config, storage, clock, log, notifier, filters });
  const { typing, receipts, presence } = readServices;
  const push = createPushServices({ storage, clock, log, serverName: config.serverName, rooms, accountData: readServices.accountData });
  const toDevice = new ToDeviceService({ serverName: config.serverName, storage, clock, log, notifier, outbound: federation.outboundQueue });
  const e2e = createE2eServices({ serverName: config.serverName, storage, clock, log, notifier, uia, sessions, devices, federationClient: federation.client });
  const federationEvents = createFederationEventServices({
    serverName: config.serverName,
    storage,
    clock,
    log,
    rooms,
    federation,
    typing,
    receipts,
    presence,
    toDevice,
    deviceLists: e2e.remoteDeviceLists,
  });
  e2e.stream.onLocalChange(new DeviceListFanout(storage, federationEvents.roomServers, federation.outboundQueue, log).onLocalChange);
  return {
    config,
    address: { publicBaseUrl: config.publicBaseUrl ?? 'http://localhost/', lowBandwidth: undefined },
    clock,
    log,
    signingKey,
    rateLimiter,
    sessions,
    uia,
    login,
    registration,
    accounts,
    devices,
    profiles,
    filters,
    federation,
    federationMembership: createFederationMembership({
      serverName: config.serverName,
      storage,
      rooms,
      federation,
      signingKey,
      clock,
      log,
      verifier: federationEvents.verifier,
      acl: federationEvents.acl,
      roomServers: federationEvents.roomServers,
    }),
    sensors: new SensorService(storage, sessions, devices, clock),
    notifier,
    rooms,
    push,
    media: new MediaService(config, storage, clock, log, federationClient ?? noFederationClient),
    toDevice,
    e2e,
    federationEvents,
    ...readServices,
  };
}
