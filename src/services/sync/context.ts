import type { Storage } from '../../storage/storage.js';
import type { PresenceService } from '../ephemeral/presence.js';
import type { TypingService } from '../ephemeral/typing.js';
import type { ClientEventSerializer } from '../timeline/client-event.js';
import type { RoomStateAt } from '../timeline/room-state.js';
import type { VisibilityChecker } from '../timeline/visibility.js';
import type { SyncFilter } from './filter.js';
import type { LazyMemberCache } from './lazy-members.js';
import type { SyncToken } from './token.js';

/** What computing a sync response reads from: built once per homeserver. */
export interface SyncDeps {
  readonly storage: Storage;
  readonly serializer: ClientEventSerializer;
  readonly visibility: VisibilityChecker;
  readonly roomState: RoomStateAt;
  readonly typing: TypingService;
  readonly presence: PresenceService;
  readonly lazyMembers: LazyMemberCache;
}

/** One sync computation: who, from where (`since`, clamped to `now`), to where, how filtered. */
export interface SyncContext {
  readonly deps: SyncDeps;
  readonly userId: string;
  readonly deviceId: string;
  /** Undefined for an initial sync. */
  readonly since: SyncToken | undefined;
  readonly now: SyncToken;
  readonly filter: SyncFilter;
  readonly fullState: boolean;
  /**
   * The since token's typing position is past the stream (the server restarted): every room's
   * typers are sent again.
   */
  readonly typingReset: boolean;
  /** The users the requester ignores (m.ignored_user_list), read once per computation. */
  readonly ignored: ReadonlySet<string>;
  /** use_state_after: rooms carry the state at the end of their timeline (`state_after`). */
  readonly stateAfter: 'stable' | 'unstable' | undefined;
}

/**
 * How a room enters the response:
 * - full: the client knows nothing of it (initial sync, newly joined, full_state): full state
 *   before the timeline, the latest events;
 * - incremental: the client is up to date to `since`: new events, and the state delta across a gap.
 */
export type RoomSyncKind = 'full' | 'incremental';
