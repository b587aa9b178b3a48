import type { SigningKey } from '../../../core/signing.js';
import type { Storage } from '../../../storage/storage.js';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { RoomServices } from '../../rooms/index.js';
import type { FederationServices } from '../federation-services.js';
import type { ServerAclChecker } from '../inbound/server-acl.js';
import type { PduVerifier } from '../inbound/verify-pdu.js';
import type { RoomServers } from '../outbound/room-servers.js';

/**
 * What every part of the membership side of federation works with. The PDU verifier, the ACL
 * checker and the room-servers cache are the room-events side's (federation-events.ts), shared.
 */
export interface MembershipContext {
  readonly serverName: string;
  readonly storage: Storage;
  readonly rooms: RoomServices;
  readonly federation: FederationServices;
  /** Signature and hash checks of received PDUs (the inbound pipeline's). */
  readonly verifier: PduVerifier;
  /** The room's m.room.server_acl, applied to the servers asking to join, leave or knock. */
  readonly acl: ServerAclChecker;
  /** Servers with joined members per room: who hears of the memberships we accept. */
  readonly roomServers: RoomServers;
  readonly signingKey: SigningKey;
  readonly clock: Clock;
  readonly log: Logger;
}
