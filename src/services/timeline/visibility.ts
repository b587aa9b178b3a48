import { isJsonObject } from '../../core/json.js';
import type { Membership, MembershipAt } from '../../storage/room-reads-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { TimelineEvent } from '../../storage/timeline-repo.js';

/**
 * History visibility (spec "History visibility"): which of a room's events a user may see. For an
 * event, with the visibility and the user's membership at that point:
 *   1. world_readable: yes;  2. membership join: yes;
 *   3. shared, and the user joined at some point after the event: yes;
 *   4. invited, and the membership was invite: yes;  otherwise no.
 * A user always sees their own membership events (so they see themselves leave or be invited).
 * On top of that, a user does not see the non-state events of the users they ignore
 * (m.ignored_user_list, spec "Ignoring Users"); state events stay, or room state would go wrong.
 *
 * "At that point" is read along the stream: the user's membership events (room_memberships) and
 * the room's m.room.history_visibility events, both short lists loaded once per room and call.
 */

type Visibility = 'world_readable' | 'shared' | 'invited' | 'joined';

interface Change<T> {
  readonly stream: number;
  readonly value: T;
}

function asVisibility(value: unknown): Visibility {
  return value === 'world_readable' || value === 'invited' || value === 'joined' ? value : 'shared';
}

const RANK: Record<Visibility, number> = { world_readable: 3, shared: 2, invited: 1, joined: 0 };

/** The value in force just before `stream` (changes sorted by stream). */
function valueBefore<T>(changes: readonly Change<T>[], stream: number, initial: T): T {
  let value = initial;
  for (const c of changes) {
    if (c.stream >= stream) break;
    value = c.value;
  }
  return value;
}

const NOBODY: ReadonlySet<string> = new Set();

/** Hides ignored users' non-state events; undefined when the user ignores nobody. */
export function ignoreFilter(ignored: ReadonlySet<string>): ((e: TimelineEvent) => boolean) | undefined {
  return ignored.size === 0 ? undefined : (e) => e.stateKey !== null || !ignored.has(e.sender);
}

export class VisibilityChecker {
  constructor(private readonly storage: Storage) {}

  /** The events of one room that `userId` may see, in the order given. */
  filter(userId: string, roomId: string, events: readonly TimelineEvent[]): TimelineEvent[] {
    if (events.length === 0) return [];
    const rules = this.rulesFor(userId, roomId);
    return events.filter((e) => rules.allows(e));
  }

  /** The users `userId` ignores (their m.ignored_user_list account data). */
  ignoredBy(userId: string): ReadonlySet<string> {
    const list = this.storage.accountData.get(userId, '', 'm.ignored_user_list')?.content['ignored_users'];
    return isJsonObject(list) ? new Set(Object.keys(list)) : NOBODY;
  }

  /**
   * A reusable predicate for one (user, room). `ignored`: the user's ignore list, when the caller
   * already read it (a sync does once for all rooms).
   */
  rulesFor(
    userId: string,
    roomId: string,
    ignored: ReadonlySet<string> = this.ignoredBy(userId),
  ): { allows(e: TimelineEvent): boolean; membershipAt(e: TimelineEvent): Membership } {
    const notIgnored = ignoreFilter(ignored);
    const memberships: Change<Membership>[] = this.storage.roomReads
      .membershipHistory(userId, roomId)
      .map((m: MembershipAt) => ({ stream: m.streamOrdering, value: m.membership }));
    const visibilities: Change<Visibility>[] = this.storage.timeline
      .stateChanges(roomId, 'm.room.history_visibility', '')
      .map((e) => {
        const content: unknown = (JSON.parse(e.json) as { content?: unknown }).content;
        return { stream: e.streamOrdering, value: asVisibility(isJsonObject(content) ? content['history_visibility'] : undefined) };
      });
    const lastJoin = memberships.filter((m) => m.value === 'join').at(-1)?.stream ?? -Infinity;

    const membershipAt = (e: TimelineEvent): Membership => {
      // Including the event's own change when it is this user's membership event (spec: "including
      // any changes caused by the event").
      if (e.type === 'm.room.member' && e.stateKey === userId) return valueBefore(memberships, e.streamOrdering + 1, 'leave');
      return valueBefore(memberships, e.streamOrdering, 'leave');
    };

    return {
      membershipAt,
      allows(e) {
        if (e.type === 'm.room.member' && e.stateKey === userId) return true;
        if (notIgnored && !notIgnored(e)) return false;
        let visibility = valueBefore(visibilities, e.streamOrdering, 'shared' as Visibility);
        if (e.type === 'm.room.history_visibility' && e.stateKey === '') {
          // The event that changes visibility is seen under the more permissive of its two values.
          const after = valueBefore(visibilities, e.streamOrdering + 1, visibility);
          if (RANK[after] > RANK[visibility]) visibility = after;
        }
        if (visibility === 'world_readable') return true;
        const membership = membershipAt(e);
        if (membership === 'join') return true;
        if (visibility === 'shared' && lastJoin > e.streamOrdering) return true;
        return visibility === 'invited' && membership === 'invite';
      },
    };
  }
}
