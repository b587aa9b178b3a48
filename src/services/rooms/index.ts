import type { SigningKey } from '../../core/signing.js';
import type { Storage } from '../../storage/storage.js';
import type { AccountService } from '../accounts.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Notifier } from '../notifier.js';
import type { ProfileService } from '../profile.js';
import { ClientEventSerializer } from '../timeline/client-event.js';
import { VisibilityChecker } from '../timeline/visibility.js';
import { CurrentStateWriter } from './current-state.js';
import { EventCreator } from './event-creator.js';
import { EventLoader } from './event-loader.js';
import { EventPersister } from './event-persister.js';
import { ProfilePropagation } from './profile-propagation.js';
import type { RemoteMembership } from './remote-membership.js';
import { RoomAccess } from './room-access.js';
import { RoomAliases } from './room-aliases.js';
import { RoomCreation } from './room-creation.js';
import { RoomDirectory } from './room-directory.js';
import { RoomMembership } from './room-membership.js';
import { RoomMessaging } from './room-messaging.js';
import { RoomReads } from './room-reads.js';
import { RoomUpgrades } from './room-upgrades.js';
import { StateGroupWriter } from './state-groups.js';
import { StateReader } from './state-reader.js';

/**
 * The rooms domain, wired: the DAG writer (persister, creator) and its readers, and one service
 * per area of the client API. Federation uses `persister` (remote PDUs), `creator` (events it
 * builds for make_join & co.), `loader`/`state` (events and state at events), and plugs in
 * through `setRemoteMembership`.
 */
export interface RoomServices {
  readonly loader: EventLoader;
  readonly state: StateReader;
  readonly persister: EventPersister;
  readonly creator: EventCreator;
  readonly access: RoomAccess;
  readonly reads: RoomReads;
  readonly messaging: RoomMessaging;
  readonly membership: RoomMembership;
  readonly creation: RoomCreation;
  readonly aliases: RoomAliases;
  readonly directory: RoomDirectory;
  readonly upgrades: RoomUpgrades;
  /** Federation registers here; until then rooms on other servers answer 404 M_UNKNOWN. */
  setRemoteMembership(remote: RemoteMembership): void;
}

export interface RoomServicesDeps {
  readonly storage: Storage;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signingKey: SigningKey;
  readonly serverName: string;
  readonly notifier: Notifier;
  readonly profiles: ProfileService;
  readonly accounts: AccountService;
}

export function createRoomServices(deps: RoomServicesDeps): RoomServices {
  const { storage, clock, log, signingKey, serverName, notifier, profiles, accounts } = deps;
  const loader = new EventLoader(storage);
  const state = new StateReader(storage, loader);
  const groups = new StateGroupWriter(storage, state);
  const persister = new EventPersister(storage, loader, state, groups, new CurrentStateWriter(storage, loader, state, groups), notifier);
  const creator = new EventCreator(storage, loader, state, persister, signingKey, serverName, clock);
  const access = new RoomAccess(storage, loader);
  const aliases = new RoomAliases(storage, loader, state, access, clock, serverName);
  const membership = new RoomMembership(storage, creator, persister, access, aliases, profiles, serverName);
  const creation = new RoomCreation(storage, creator, aliases, membership, serverName, log);
  const reads = new RoomReads(storage, loader, access, new ClientEventSerializer(storage, clock), new VisibilityChecker(storage));

  const propagation = new ProfilePropagation(storage, loader, creator, log);
  profiles.onChanged((userId, profile) => propagation.profileChanged(userId, profile));
  accounts.onDeactivated((userId) => propagation.deactivated(userId));

  return {
    loader,
    state,
    persister,
    creator,
    access,
    reads,
    messaging: new RoomMessaging(storage, loader, state, creator, access, aliases),
    membership,
    creation,
    aliases,
    directory: new RoomDirectory(storage, loader, state, access),
    upgrades: new RoomUpgrades(storage, loader, state, creator, creation, aliases, access, log),
    setRemoteMembership(remote) {
      membership.remote = remote;
      aliases.remote = remote;
    },
  };
}
