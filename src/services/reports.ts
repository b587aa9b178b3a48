import type { StoredReport } from '../storage/reports-repo.js';
import type { Storage } from '../storage/storage.js';
import type { Clock } from './clock.js';
import { invalidParam, notFound } from './errors.js';
import type { Logger } from './logger.js';
import type { Requester } from './requester.js';

/**
 * Content reports (spec "Reporting content"): stored for the server's administrators and logged.
 * As the spec allows, unknown rooms, events and users get a 404 (no enumeration hiding yet).
 */

const MAX_REASON_CHARS = 1000;

export class ReportService {
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Reports of local users are checked against our accounts; remote ones are taken as they are. */
    private readonly serverName: string,
  ) {}

  reportRoom(requester: Requester, roomId: string, reason: string): void {
    if (this.storage.rooms.get(roomId) === undefined) throw notFound('The room was not found');
    this.store(requester, 'room', { roomId, reason });
  }

  /** The reporter must be joined to the room (spec v1.8) and the event must be in it. */
  reportEvent(requester: Requester, roomId: string, eventId: string, reason: string | undefined): void {
    const event = this.storage.timeline.get(eventId);
    const joined = this.storage.memberships.current(roomId, requester.userId)?.membership === 'join';
    if (!event || event.roomId !== roomId || !joined) throw notFound('The event was not found or you are not joined to the room');
    this.store(requester, 'event', { roomId, eventId, reason });
  }

  reportUser(requester: Requester, userId: string, reason: string): void {
    if (!userId.startsWith('@')) throw invalidParam('Not a user ID');
    if (userId.endsWith(`:${this.serverName}`) && !this.storage.accounts.get(userId)) throw notFound('The user was not found');
    this.store(requester, 'user', { targetUserId: userId, reason });
  }

  /** The newest reports first, for administrators' tooling. */
  recent(limit: number): StoredReport[] {
    return this.storage.reports.latest(limit);
  }

  private store(
    requester: Requester,
    kind: 'room' | 'event' | 'user',
    what: { roomId?: string; eventId?: string; targetUserId?: string; reason?: string | undefined },
  ): void {
    const reason = what.reason === undefined ? null : what.reason.slice(0, MAX_REASON_CHARS);
    const id = this.storage.reports.add({
      reporter: requester.userId,
      kind,
      roomId: what.roomId ?? null,
      eventId: what.eventId ?? null,
      targetUserId: what.targetUserId ?? null,
      reason,
      receivedTs: this.clock.now(),
    });
    this.log.info({ reportId: id, kind, reporter: requester.userId, roomId: what.roomId, eventId: what.eventId, user: what.targetUserId }, 'content reported');
  }
}
