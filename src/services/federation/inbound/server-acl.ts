import { serverAclOf, serverAllowedByAcl, type ServerAcl } from '../../../core/server-acl.js';
import type { Storage } from '../../../storage/storage.js';
import type { RoomServices } from '../../rooms/index.js';

/**
 * Server ACLs as the federation endpoints apply them: the room's current m.room.server_acl,
 * compiled once per ACL event. Inbound PDUs and typing/receipt EDUs of a room, and every read
 * of a room over federation, are refused for servers the ACL denies. A room without an ACL
 * allows everyone.
 */
export class ServerAclChecker {
  private readonly compiled = new Map<string, { readonly eventId: string; readonly acl: ServerAcl }>();

  constructor(
    private readonly storage: Storage,
    private readonly rooms: RoomServices,
  ) {}

  allowed(roomId: string, serverName: string): boolean {
    const eventId = this.storage.state.current(roomId, 'm.room.server_acl', '');
    if (eventId === undefined) return true;
    let entry = this.compiled.get(roomId);
    if (entry?.eventId !== eventId) {
      entry = { eventId, acl: serverAclOf(this.rooms.loader.roomEvent(eventId)?.content) };
      this.compiled.set(roomId, entry);
    }
    return serverAllowedByAcl(entry.acl, serverName);
  }
}
