import { forbidden } from '../../errors.js';
import type { ServerAclChecker } from '../inbound/server-acl.js';
import type { RoomServers } from '../outbound/room-servers.js';

/**
 * Who may read a room over federation (/event, /event_auth, /state, /state_ids, /backfill,
 * /get_missing_events, /timestamp_to_event): a server the room's ACL allows and that has a
 * joined member in the room now (Synapse's assert_host_in_room). Which events it then sees is
 * history visibility's business (server-visibility.ts).
 */
export class RoomGate {
  constructor(
    private readonly acl: ServerAclChecker,
    private readonly servers: RoomServers,
  ) {}

  require(origin: string, roomId: string): void {
    if (!this.acl.allowed(roomId, origin)) throw forbidden('Server is not allowed by the room\'s server ACL');
    if (!this.servers.isJoined(roomId, origin)) throw forbidden(`Server ${origin} is not in room ${roomId}`);
  }
}
