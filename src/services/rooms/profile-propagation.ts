import { canonicalJson } from '../../core/canonical-json.js';
import type { JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import type { Logger } from '../logger.js';
import type { EventCreator } from './event-creator.js';
import type { EventLoader } from './event-loader.js';
import { profileContent } from './room-membership.js';

/**
 * Profile changes reach rooms (client-server "Events on Change of Profile Information"): a
 * new m.room.member join event, with the new displayname/avatar_url, in every room the user is
 * joined to, where they differ from what the member event says. One transaction per room, so a
 * room that refuses the change (it never should) does not hold up the others.
 * Deactivated users leave every room they are in or invited to.
 */
export class ProfilePropagation {
  constructor(
    private readonly storage: Storage,
    private readonly events: EventLoader,
    private readonly creator: EventCreator,
    private readonly log: Logger,
  ) {}

  profileChanged(userId: string, profile: JsonObject): void {
    const wanted = profileContent(profile);
    for (const roomId of this.storage.memberships.roomsOfUser(userId, 'join')) {
      const current = this.storage.memberships.current(roomId, userId);
      const content = current ? this.events.roomEvent(current.eventId)?.content : undefined;
      if (!content) continue;
      const next: JsonObject = { ...content };
      delete next.displayname;
      delete next.avatar_url;
      delete next.reason;
      Object.assign(next, wanted);
      if (canonicalJson(next, { strict: false }) === canonicalJson(content, { strict: false })) continue;
      try {
        this.creator.create({ template: { type: 'm.room.member', state_key: userId, sender: userId, content: next, room_id: roomId } });
      } catch (err) {
        this.log.warn({ err, userId, roomId }, 'could not update the member event after a profile change');
      }
    }
  }

  deactivated(userId: string): void {
    const rooms = [...this.storage.memberships.roomsOfUser(userId, 'join'), ...this.storage.memberships.roomsOfUser(userId, 'invite')];
    for (const roomId of rooms) {
      try {
        this.creator.create({
          template: { type: 'm.room.member', state_key: userId, sender: userId, content: { membership: 'leave' }, room_id: roomId },
        });
      } catch (err) {
        this.log.warn({ err, userId, roomId }, 'could not leave a room on deactivation');
      }
    }
  }
}
