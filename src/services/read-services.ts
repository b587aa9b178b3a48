import type { HomeserverConfig } from '../config.js';
import type { Storage } from '../storage/storage.js';
import { AccountDataService } from './account-data.js';
import type { Clock } from './clock.js';
import { PresenceService } from './ephemeral/presence.js';
import { ReceiptsService } from './ephemeral/receipts.js';
import { TypingService } from './ephemeral/typing.js';
import type { FilterService } from './filters.js';
import type { Logger } from './logger.js';
import type { Notifier } from './notifier.js';
import { ReportService } from './reports.js';
import { LazyMemberCache } from './sync/lazy-members.js';
import { SyncService } from './sync/sync-service.js';
import { ClientEventSerializer } from './timeline/client-event.js';
import { TimelineService } from './timeline/messages.js';
import { RelationsService } from './timeline/relations.js';
import { SearchService } from './search/search-service.js';
import { RoomStateAt } from './timeline/room-state.js';
import { VisibilityChecker } from './timeline/visibility.js';
import { UserDirectoryService } from './user-directory.js';

/**
 * The read side of the client API, built together because it shares one notifier, one event
 * serializer (and its cache) and the ephemeral streams: /sync, /messages and friends, typing,
 * receipts and read markers, account data and tags, presence, the user directory, reports.
 */
export interface ReadServices {
  readonly sync: SyncService;
  readonly timeline: TimelineService;
  /** /relations and /threads. */
  readonly relations: RelationsService;
  /** POST /search. */
  readonly search: SearchService;
  readonly typing: TypingService;
  readonly receipts: ReceiptsService;
  readonly accountData: AccountDataService;
  readonly presence: PresenceService;
  readonly userDirectory: UserDirectoryService;
  readonly reports: ReportService;
  /** Stops the presence and typing timers (shutdown). */
  closeReadServices(): void;
}

export interface ReadServiceDeps {
  readonly config: HomeserverConfig;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly log: Logger;
  readonly notifier: Notifier;
  readonly filters: FilterService;
}

export function createReadServices({ config, storage, clock, log, notifier, filters }: ReadServiceDeps): ReadServices {
  const serializer = new ClientEventSerializer(storage, clock);
  const visibility = new VisibilityChecker(storage);
  const roomState = new RoomStateAt(storage);
  const typing = new TypingService(storage.memberships, clock, notifier);
  const presence = new PresenceService(storage, clock, notifier, log);
  const accountData = new AccountDataService(storage, notifier);
  const sync = new SyncService({ storage, serializer, visibility, roomState, typing, presence, lazyMembers: new LazyMemberCache() }, filters, notifier);
  return {
    sync,
    timeline: new TimelineService(storage, serializer, visibility, roomState),
    relations: new RelationsService(storage, serializer, visibility),
    search: new SearchService(storage, serializer, visibility, roomState),
    typing,
    receipts: new ReceiptsService(storage, clock, accountData, notifier),
    accountData,
    presence,
    userDirectory: new UserDirectoryService(storage),
    reports: new ReportService(storage, clock, log, config.serverName),
    closeReadServices() {
      presence.close();
      typing.close();
    },
  };
}
