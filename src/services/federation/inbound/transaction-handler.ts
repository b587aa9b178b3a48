import { isJsonObject, type JsonObject, type JsonValue } from '../../../core/json.js';
import type { Storage } from '../../../storage/storage.js';
import type { Clock } from '../../clock.js';
import { badJson } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { RoomServices } from '../../rooms/index.js';
import { serverOfUserId } from '../../user-ids.js';
import { MAX_EDUS_PER_TRANSACTION, MAX_PDUS_PER_TRANSACTION } from '../outbound-queue.js';
import { handleEdu, type EduContext } from './edus/index.js';
import { FetchBudget, REQUESTS_PER_TRANSACTION } from './fetch-budget.js';
import { PduDroppedError, type IncomingPdu } from './incoming-pdu.js';
import { KeyedLock } from './keyed-lock.js';
import { eventIdOfRaw, parseIncomingPdu } from './parse-incoming-pdu.js';
import type { RoomServers } from '../outbound/room-servers.js';
import type { InboundPduPipeline } from './pipeline.js';
import type { ServerAclChecker } from './server-acl.js';

/**
 * PUT /_matrix/federation/v1/send/{txnId}: a transaction of at most 50 PDUs and 100 EDUs
 * (more: 400). Each (origin, txnId) is processed once; a retry, or a duplicate arriving while the
 * first is still being processed, gets the same answer. One origin's transactions are processed
 * one at a time, in arrival order.
 *
 * Per PDU, before the pipeline: the room must be one we are in; the PDU's sender must be a user of the
 * origin (except membership events a resident server passes on after send_join / send_leave /
 * send_knock); the room's server ACL must allow the origin and the sender's server. PDUs are
 * then handled per room in the order sent, rooms concurrently, with one FetchBudget for the
 * whole transaction. EDUs come after the PDUs. The answer maps each PDU's event ID to `{}` or
 * `{error}`.
 */

/** Answers to transactions are kept this long for retries. */
const TXN_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Old answers are pruned every this many transactions. */
const PRUNE_EVERY = 500;

export interface TransactionBody {
  readonly pdus: readonly JsonValue[];
  readonly edus?: readonly JsonValue[] | undefined;
}

export class TransactionHandler {
  private readonly inFlight = new Map<string, Promise<JsonObject>>();
  private readonly originLocks = new KeyedLock();
  private sincePrune = 0;

  constructor(
    private readonly serverName: string,
    private readonly storage: Storage,
    private readonly rooms: RoomServices,
    private readonly roomServers: RoomServers,
    private readonly pipeline: InboundPduPipeline,
    private readonly acl: ServerAclChecker,
    private readonly eduContext: (origin: string) => EduContext,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  receive(origin: string, txnId: string, body: TransactionBody): Promise<JsonObject> {
    if (body.pdus.length > MAX_PDUS_PER_TRANSACTION) throw badJson(`A transaction carries at most ${MAX_PDUS_PER_TRANSACTION} PDUs`);
    if ((body.edus?.length ?? 0) > MAX_EDUS_PER_TRANSACTION) throw badJson(`A transaction carries at most ${MAX_EDUS_PER_TRANSACTION} EDUs`);
    const answered = this.answered(origin, txnId);
    if (answered) return Promise.resolve(answered);
    const key = `${origin}\n${txnId}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const processing = this.originLocks
      .run(origin, () => this.process(origin, txnId, body))
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, processing);
    return processing;
  }

  private answered(origin: string, txnId: string): JsonObject | undefined {
    const json = this.storage.federationInbound.txnResponse(origin, txnId);
    if (json === undefined) return undefined;
    const parsed: unknown = JSON.parse(json);
    return isJsonObject(parsed) ? parsed : undefined;
  }

  private async process(origin: string, txnId: string, body: TransactionBody): Promise<JsonObject> {
    // Queued behind the original (same origin): it has been answered by now.
    const answered = this.answered(origin, txnId);
    if (answered) return answered;

    const results: JsonObject = {};
    const byRoom = new Map<string, IncomingPdu[]>();
    for (const raw of body.pdus) {
      const checked = this.admit(origin, raw);
      if ('error' in checked) {
        if (checked.eventId !== undefined) results[checked.eventId] = { error: checked.error };
        continue;
      }
      const list = byRoom.get(checked.roomId);
      if (list) list.push(checked);
      else byRoom.set(checked.roomId, [checked]);
    }

    const budget = new FetchBudget(REQUESTS_PER_TRANSACTION);
    await Promise.all(
      [...byRoom].map(async ([roomId, items]) => {
        const roomResults = await this.pipeline.handleRoomPdus(origin, roomId, items, budget);
        for (const [eventId, result] of roomResults) results[eventId] = result.error === undefined ? {} : { error: result.error };
      }),
    );

    if (body.edus && body.edus.length > 0) {
      const ctx = this.eduContext(origin);
      for (const edu of body.edus) handleEdu(ctx, edu);
    }

    const response: JsonObject = { pdus: results };
    const now = this.clock.now();
    this.storage.federationInbound.putTxnResponse(origin, txnId, JSON.stringify(response), now);
    if (++this.sincePrune >= PRUNE_EVERY) {
      this.sincePrune = 0;
      this.storage.federationInbound.pruneTxns(now - TXN_RETENTION_MS);
    }
    return response;
  }

  /** The per-PDU checks before the pipeline: room known, format, sender of the origin, ACL. */
  private admit(origin: string, raw: JsonValue): IncomingPdu | { error: string; eventId: string | undefined } {
    const versionOf = (roomId: string) => this.rooms.loader.versionOf(roomId);
    let p: IncomingPdu;
    try {
      p = parseIncomingPdu(raw, versionOf);
    } catch (err) {
      const roomId = isJsonObject(raw) && typeof raw['room_id'] === 'string' ? raw['room_id'] : undefined;
      const eventId = eventIdOfRaw(raw, roomId === undefined ? undefined : versionOf(roomId));
      if (!(err instanceof PduDroppedError)) this.log.warn({ err, origin }, 'inbound PDU could not be parsed');
      return { error: err instanceof PduDroppedError ? err.message : 'Invalid PDU', eventId };
    }
    // A room we only know of (an invite, a room we left) has no state of ours for the events to
    // be checked against; taking them would let any server write that room's state here.
    if (!this.roomServers.isJoined(p.roomId, this.serverName)) return { error: `This server is not in room ${p.roomId}`, eventId: p.eventId };
    const senderServer = serverOfUserId(p.event.sender);
    if (senderServer !== origin && !isRelayedMembership(p)) {
      return { error: `Sender ${p.event.sender} is not a user of ${origin}`, eventId: p.eventId };
    }
    if (!this.acl.allowed(p.roomId, origin) || (senderServer !== undefined && !this.acl.allowed(p.roomId, senderServer))) {
      return { error: 'Server is not allowed by the room\'s server ACL', eventId: p.eventId };
    }
    return p;
  }
}

/**
 * A join, leave or knock made through a resident server (send_join, send_leave, send_knock):
 * the resident server passes it on to the rest of the room, so it arrives from a server other
 * than the sender's. Its sender's signature is still required, as for every event.
 */
function isRelayedMembership(p: IncomingPdu): boolean {
  if (p.event.type !== 'm.room.member') return false;
  const membership = p.event.content.membership;
  return membership === 'join' || membership === 'leave' || membership === 'knock';
}
