import type { SigningKey } from '../../../core/signing.js';
import type { Storage } from '../../../storage/storage.js';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { ProfileService } from '../../profile.js';
import type { RoomServices } from '../../rooms/index.js';
import type { FederationServices } from '../federation-services.js';
import type { PduVerifier } from '../inbound/verify-pdu.js';

/** What every part of the membership side of federation works with. */
export interface MembershipContext {
  readonly serverName: string;
  readonly storage: Storage;
  readonly rooms: RoomServices;
  readonly federation: FederationServices;
  readonly profiles: ProfileService;
  /** Signature and hash checks of received PDUs (the inbound pipeline's). */
  readonly verifier: PduVerifier;
  readonly signingKey: SigningKey;
  readonly clock: Clock;
  readonly log: Logger;
}
