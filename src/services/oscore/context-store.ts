/**
 * The server's OSCORE security contexts, one per sensor device (RFC 8613 §3), as the CoAP
 * transport uses them: look up by kid, check and record the replay window, hand out our own
 * sequence numbers, and say which Matrix device the context speaks for.
 *
 * Durability (RFC 8613 Appendix B.1):
 * - the replay window is written to SQLite on every accepted request (one small UPDATE), so a
 *   restart never accepts a request it already executed;
 * - our Sender Sequence Numbers are reserved in blocks of SEQUENCE_BLOCK: before using a number
 *   at or past the persisted reservation we persist reservation + SEQUENCE_BLOCK, and after a
 *   restart we start at the reservation. A crash wastes at most one block; a nonce is never reused.
 *
 * Revocation: a context belongs to a device (foreign key, ON DELETE CASCADE) and is dropped from
 * this cache by DeviceService.onDeleted, so deleting the device, logging it out or deactivating
 * the account refuses its next request. `requester` also re-checks the device's session on every
 * request, which covers a deletion made by another process (the CLI) too.
 */

import { createSecurityContext, type SecurityContext } from '../../core/oscore/security-context.js';
import { ReplayWindow } from '../../core/oscore/replay-window.js';
import type { OscoreContextRow } from '../../storage/sensors-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import type { Requester } from '../requester.js';
import { tlsPskKey } from './tls-psk.js';

export const SEQUENCE_BLOCK = 100;
const LAST_SEEN_RESOLUTION_MS = 60_000;
const MAX_CACHED = 10_000;

/** One sensor's context, live in memory. */
export class OscoreSession {
  readonly context: SecurityContext;
  /** Separates per-context transport state (Block2 bodies, sessions) from the endpoint's other traffic. */
  readonly key: string;
  private readonly window: ReplayWindow;
  private nextSequence: number;
  private reserved: number;
  private lastSeenWritten = 0;

  constructor(
    private readonly row: OscoreContextRow,
    private readonly storage: Storage,
    private readonly clock: Clock,
  ) {
    this.context = createSecurityContext({
      masterSecret: row.masterSecret,
      masterSalt: row.masterSalt,
      idContext: undefined,
      senderId: row.senderId,
      recipientId: row.recipientId,
    });
    this.key = `oscore:${row.id}`;
    this.window = new ReplayWindow({ highest: row.replayHighest, bitmap: row.replayBitmap });
    this.nextSequence = row.senderSeqReserved;
    this.reserved = row.senderSeqReserved;
  }

  get userId(): string {
    return this.row.userId;
  }

  get deviceId(): string {
    return this.row.deviceId;
  }

  get masterSecret(): Buffer {
    return this.row.masterSecret;
  }

  get masterSalt(): Buffer {
    return this.row.masterSalt;
  }

  get roomId(): string | undefined {
    return this.row.roomId ?? undefined;
  }

  isFresh(sequenceNumber: number): boolean {
    return this.window.isFresh(sequenceNumber);
  }

  /** Records a verified request's sequence number, durably, before it is executed. */
  accept(sequenceNumber: number): void {
    this.window.accept(sequenceNumber);
    const { highest, bitmap } = this.window.state;
    this.storage.sensors.saveReplayWindow(this.row.id, highest, bitmap);
  }

  /** A Sender Sequence Number never used before with this context, even across restarts. */
  nextSenderSequence(): number {
    if (this.nextSequence >= this.reserved) {
      this.reserved = this.nextSequence + SEQUENCE_BLOCK;
      this.storage.sensors.reserveSenderSequence(this.row.id, this.reserved);
    }
    return this.nextSequence++;
  }

  /** The device this context authenticates, or undefined once its session is gone (revoked). */
  requester(clientIp: string): Requester | undefined {
    const now = this.clock.now();
    const session = this.storage.sensors.deviceSession(this.row.userId, this.row.deviceId, now);
    if (session === undefined) return undefined;
    if (now - this.lastSeenWritten >= LAST_SEEN_RESOLUTION_MS) {
      this.lastSeenWritten = now;
      this.storage.devices.touch(this.row.userId, this.row.deviceId, now, clientIp);
    }
    return { userId: this.row.userId, deviceId: this.row.deviceId, accessTokenId: session.accessTokenId, isAdmin: session.isAdmin };
  }
}

export class OscoreContextStore {
  private readonly cache = new Map<string, OscoreSession>();

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
  ) {}

  /**
   * The context whose Recipient ID is `kid`. We issue contexts without an ID Context, so a
   * request naming one matches nothing ("Security context not found").
   */
  find(kid: Buffer, kidContext: Buffer | undefined): OscoreSession | undefined {
    if (kidContext !== undefined) return undefined;
    const cacheKey = kid.toString('hex');
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) return cached;
    const row = this.storage.sensors.findByRecipientId(kid);
    if (row === undefined) return undefined;
    const session = new OscoreSession(row, this.storage, this.clock);
    if (this.cache.size >= MAX_CACHED) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(cacheKey, session);
    return session;
  }

  /** CoAP over TLS: the PSK for an identity (a kid in hex), and the context it stands for. */
  resolvePsk(identity: string): { key: Buffer; recipient: OscoreSession } | undefined {
    if (!/^(?:[0-9a-f]{2}){1,7}$/.test(identity)) return undefined;
    const session = this.find(Buffer.from(identity, 'hex'), undefined);
    if (session === undefined) return undefined;
    return { key: Buffer.from(tlsPskKey(session.masterSecret, session.masterSalt), 'utf8'), recipient: session };
  }

  /** Forgets the contexts of deleted devices (their rows went with the devices). */
  forgetDevices(userId: string, deviceIds: readonly string[]): void {
    const gone = new Set(deviceIds);
    for (const [key, session] of this.cache) {
      if (session.userId === userId && gone.has(session.deviceId)) this.cache.delete(key);
    }
  }

  /** Drops one cached context (e.g. its session turned out to be gone). */
  forget(recipient: { readonly context: SecurityContext }): void {
    this.cache.delete(recipient.context.recipientId.toString('hex'));
  }
}
