import type { HomeserverConfig } from '../config.js';
import type { SigningKey } from '../core/signing.js';
import type { Storage } from '../storage/storage.js';
import { AccountService } from './accounts.js';
import type { Clock } from './clock.js';
import { DeviceService } from './devices.js';
import { FilterService } from './filters.js';
import type { Logger } from './logger.js';
import { LoginService } from './login.js';
import { ProfileService } from './profile.js';
import { RateLimiter } from './rate-limit.js';
import { RegistrationService } from './registration.js';
import { SessionService } from './sessions.js';
import { UserInteractiveAuth } from './uia.js';

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

export interface Services {
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
}

export interface ServiceDeps {
  readonly config: HomeserverConfig;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signingKey: SigningKey;
}

export function createServices({ config, storage, clock, log, signingKey }: ServiceDeps): Services {
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
    accounts: new AccountService(storage, uia, devices, log),
    devices,
    profiles: new ProfileService(storage, log),
    filters: new FilterService(storage),
  };
}
