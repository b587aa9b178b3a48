/**
 * The immutable part of an OSCORE security context (RFC 8613 §3.1), seen from one endpoint:
 * "sender" is this endpoint, "recipient" the peer. A client's Sender ID is the server's
 * Recipient ID and vice versa; both derive the same keys from the same Master Secret and Salt.
 * The mutable parts (Sender Sequence Number, replay window) live with whoever persists them.
 */

import { deriveKeys, type MasterParameters } from './key-derivation.js';

export interface SecurityContext {
  readonly senderId: Buffer;
  readonly recipientId: Buffer;
  readonly idContext: Buffer | undefined;
  readonly senderKey: Buffer;
  readonly recipientKey: Buffer;
  readonly commonIv: Buffer;
}

export interface ContextInput extends MasterParameters {
  readonly senderId: Uint8Array;
  readonly recipientId: Uint8Array;
}

/** §3.3: Sender and Recipient IDs are at most nonce length − 6 = 7 bytes and must differ. */
export function createSecurityContext(input: ContextInput): SecurityContext {
  if (input.senderId.length > 7 || input.recipientId.length > 7) throw new RangeError('OSCORE IDs are at most 7 bytes');
  if (Buffer.from(input.senderId).equals(Buffer.from(input.recipientId))) throw new RangeError('Sender ID and Recipient ID must differ');
  const keys = deriveKeys(input, input.senderId, input.recipientId);
  return {
    senderId: Buffer.from(input.senderId),
    recipientId: Buffer.from(input.recipientId),
    idContext: input.idContext === undefined ? undefined : Buffer.from(input.idContext),
    ...keys,
  };
}
