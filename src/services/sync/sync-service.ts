import type { JsonObject } from '../../core/json.js';
import type { PresenceState } from '../../storage/presence-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { TypingService } from '../ephemeral/typing.js';
import type { FilterService } from '../filters.js';
import type { Notifier, StreamPositions } from '../notifier.js';
import type { Requester } from '../requester.js';
import type { SyncContext, SyncDeps } from './context.js';
import { resolveFilterParam, type SyncFilter } from './filter.js';
import { computeSync } from './response.js';
import { notifierPositions, parseSyncToken, type SyncToken } from './token.js';

/**
 * GET /sync: computes the response at the current stream positions; when an incremental sync
 * finds nothing for the client it sleeps on the notifier (keyed by the user and their joined
 * rooms, from the positions it computed up to) and computes again when woken, until `timeout`.
 */

export interface SyncParams {
  readonly filter: string | undefined;
  readonly since: string | undefined;
  readonly fullState: boolean;
  readonly setPresence: PresenceState | undefined;
  readonly timeoutMs: number;
  /** use_state_after (spec v1.16), or its MSC4222 spelling, which matrix-js-sdk sends. */
  readonly stateAfter: 'stable' | 'unstable' | undefined;
}

/** Long-polls longer than this are cut short (clients ask for 30 s; proxies time out near 60 s). */
const MAX_TIMEOUT_MS = 60_000;

export class SyncService {
  constructor(
    private readonly deps: SyncDeps,
    private readonly filters: FilterService,
    private readonly notifier: Notifier,
  ) {}

  /** The current position of every stream: the `next_batch` of a sync computed now. */
  currentToken(): SyncToken {
    const { storage, typing } = this.deps;
    return currentToken(storage, typing);
  }

  async sync(requester: Requester, params: SyncParams, signal: AbortSignal): Promise<JsonObject> {
    const filter = resolveFilterParam(params.filter, (id) => this.filters.find(requester.userId, id));
    const requested = params.since === undefined || params.since === '' ? undefined : parseSyncToken(params.since);
    const syncEnded = this.deps.presence.syncStarted(requester.userId, params.setPresence);
    try {
      const deadline = performance.now() + Math.min(Math.max(params.timeoutMs, 0), MAX_TIMEOUT_MS);
      for (;;) {
        const now = this.currentToken();
        const ctx: SyncContext = {
          deps: this.deps,
          userId: requester.userId,
          deviceId: requester.deviceId,
          since: requested && clampToken(requested, now),
          now,
          filter,
          fullState: params.fullState,
          typingReset: requested !== undefined && requested.typing > now.typing,
          ignored: this.deps.visibility.ignoredBy(requester.userId),
          stateAfter: params.stateAfter,
        };
        const result = computeSync(ctx);
        // full_state answers at once (spec); so does an initial sync and anything non-empty.
        const remaining = deadline - performance.now();
        if (!requested || params.fullState || !result.empty || remaining <= 0 || signal.aborted) return result.body;
        const woken = await this.notifier.waitForChange(requester.userId, result.joinedRoomIds, wakePositions(now, filter), remaining, signal);
        if (!woken) return result.body;
      }
    } finally {
      syncEnded();
    }
  }
}

/**
 * The positions a long-poll waits past. A stream the filter shuts out entirely (presence for
 * most bots, typing for a headless client) is put out of reach, so its changes do not wake the
 * request: otherwise every user coming online would wake every long-poll of every room-mate.
 */
function wakePositions(now: SyncToken, filter: SyncFilter): StreamPositions {
  const positions = { ...notifierPositions(now) };
  const never = Number.MAX_SAFE_INTEGER;
  if (!filter.presence.admitsType('m.presence')) positions['presence'] = never;
  if (!filter.room.ephemeral.admitsType('m.typing')) positions['typing'] = never;
  if (!filter.room.ephemeral.admitsType('m.receipt')) positions['receipts'] = never;
  return positions;
}

/** Every stream position at once (presence too: its position is a stream_positions row). */
export function currentToken(storage: Storage, typing: TypingService): SyncToken {
  const position = storage.streamPositions.all();
  return {
    events: storage.timeline.maxStreamOrdering(),
    accountData: position('account_data'),
    receipts: position('receipts'),
    typing: typing.currentPosition(),
    presence: position('presence'),
    toDevice: position('to_device'),
    deviceLists: position('device_lists'),
  };
}

/**
 * A token past the present (hand-made, or from before a database restore) is read as "now" for
 * the stored streams, so the client neither gets ahead-of-time gaps nor spins; typing, which
 * restarts with the process, is handled by `typingReset`.
 */
function clampToken(t: SyncToken, now: SyncToken): SyncToken {
  return {
    events: Math.min(t.events, now.events),
    accountData: Math.min(t.accountData, now.accountData),
    receipts: Math.min(t.receipts, now.receipts),
    typing: t.typing > now.typing ? 0 : t.typing,
    presence: Math.min(t.presence, now.presence),
    toDevice: Math.min(t.toDevice, now.toDevice),
    deviceLists: Math.min(t.deviceLists, now.deviceLists),
  };
}
