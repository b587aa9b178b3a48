/**
 * What the CoAP transport needs from whoever keeps OSCORE security contexts (the sensor service,
 * src/services/oscore/context-store.ts, wired in by src/homeserver.ts). An interface here, so the
 * transport never reaches into storage and tests can hand in a context of their own.
 */

import type { SecurityContext } from '../../core/oscore/security-context.js';
import type { Requester } from './dispatch-contract.js';

export interface OscoreRecipient {
  /** Stable name of the context; keeps its block-wise and session state apart from other traffic. */
  readonly key: string;
  readonly context: SecurityContext;
  /** The room the sensor was issued for: a Uri-Path segment "!" stands for it (saves ~44 bytes a message). */
  readonly roomId: string | undefined;
  /** Replay window check (RFC 8613 §7.4), no side effect. */
  isFresh(sequenceNumber: number): boolean;
  /** Records a verified request's sequence number (durably) before it is executed. */
  accept(sequenceNumber: number): void;
  /**
   * A Sender Sequence Number of ours never used before with this context, even across restarts:
   * for responses that need their own Partial IV (Observe notifications, RFC 8613 §8.3).
   */
  nextSenderSequence(): number;
  /** The device this context authenticates; undefined once it was revoked. */
  requester(clientIp: string): Requester | undefined;
}

export interface OscoreContexts {
  find(kid: Buffer, kidContext: Buffer | undefined): OscoreRecipient | undefined;
  /** Drops a cached context that turned out to be revoked. */
  forget(recipient: OscoreRecipient): void;
}
