import type { JsonObject } from '../../../core/json.js';
import type { Storage } from '../../../storage/storage.js';
import type { PresenceService } from '../../ephemeral/presence.js';
import type { Logger } from '../../logger.js';
import { serverOfUserId } from '../../user-ids.js';
import type { OutboundQueue } from '../outbound-queue.js';
import type { RoomServers } from './room-servers.js';

/**
 * Our users' ephemeral updates for other servers: typing and public read receipts go to the
 * servers in that room, presence to every server sharing a room with the user. Subscribed to
 * the ephemeral services' local-change hooks; updates of remote users never come back here.
 */
export class EduFanout {
  constructor(
    private readonly serverName: string,
    private readonly storage: Storage,
    private readonly servers: RoomServers,
    private readonly queue: OutboundQueue,
    private readonly presence: PresenceService,
    private readonly log: Logger,
  ) {}

  readonly onTyping = (roomId: string, userId: string, typing: boolean): void => {
    this.guard('m.typing', () => {
      for (const destination of this.servers.remote(roomId)) {
        this.queue.enqueueEdu(destination, { edu_type: 'm.typing', content: { room_id: roomId, user_id: userId, typing } });
      }
    });
  };

  readonly onReceipt = (r: { roomId: string; userId: string; eventId: string; threadId: string; ts: number }): void => {
    this.guard('m.receipt', () => {
      const data: JsonObject = { ts: r.ts };
      if (r.threadId !== '') data['thread_id'] = r.threadId;
      const content: JsonObject = { [r.roomId]: { 'm.read': { [r.userId]: { event_ids: [r.eventId], data } } } };
      for (const destination of this.servers.remote(r.roomId)) this.queue.enqueueEdu(destination, { edu_type: 'm.receipt', content });
    });
  };

  readonly onPresence = (userId: string): void => {
    this.guard('m.presence', () => {
      if (serverOfUserId(userId) !== this.serverName) return;
      const stored = this.storage.presence.get(userId);
      if (!stored) return;
      const destinations = new Set<string>();
      for (const roomId of this.storage.memberships.roomsOfUser(userId, 'join')) for (const s of this.servers.remote(roomId)) destinations.add(s);
      if (destinations.size === 0) return;
      const content = this.presence.content(stored);
      const push: JsonObject = { user_id: userId, presence: stored.state, last_active_ago: content['last_active_ago'] ?? 0 };
      if (stored.statusMsg !== null) push['status_msg'] = stored.statusMsg;
      if (stored.state === 'online') push['currently_active'] = stored.currentlyActive;
      for (const destination of destinations) this.queue.enqueueEdu(destination, { edu_type: 'm.presence', content: { push: [push] } });
    });
  };

  /** The hooks run inside the ephemeral services' request paths: a failure here must not fail them. */
  private guard(eduType: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err, eduType }, 'queueing an EDU for federation failed');
    }
  }
}
