import type { Pdu } from '../../../core/events/pdu.js';
import type { RoomEvent } from '../../../core/events/room-event.js';
import type { RoomVersion } from '../../../core/room-versions.js';

/**
 * A PDU on its way in: format-checked for its room's version, with its event ID worked out. The
 * pipeline's steps pass this along; `verified` flips once signatures and hashes were checked
 * (and `pdu` is then the redacted form if the content hash did not match).
 */
export interface IncomingPdu {
  readonly pdu: Pdu;
  readonly event: RoomEvent;
  readonly version: RoomVersion;
  readonly eventId: string;
  readonly roomId: string;
  /** Signatures verified, content hash checked (redacted when it did not match). */
  readonly verified: boolean;
  /** The content hash did not match: this is the redacted form. */
  readonly redactedForHash: boolean;
}

/**
 * A PDU we drop without storing it: malformed, for a room we do not know, badly signed, or one
 * whose auth events or prior state could not be obtained. The reason goes back to the sender in
 * the /send answer; nothing of it reaches the DAG.
 */
export class PduDroppedError extends Error {
  override name = 'PduDroppedError';
}

/** What /send answers per PDU: `{}`, or `{error}` when it was dropped or rejected. */
export type PduResult = { readonly error?: string };
