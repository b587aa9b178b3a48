import type { JsonObject } from '../../core/json.js';
import type { Storage } from '../../storage/storage.js';
import type { AccountDataService } from '../account-data.js';
import type { Clock } from '../clock.js';
import { forbidden, invalidParam, notFound } from '../errors.js';
import type { Requester } from '../requester.js';
import type { Notifier } from '../notifier.js';

/**
 * Read receipts (m.read, m.read.private; threaded or not) and the read marker (m.fully_read,
 * kept as room account data). Receipts are stored, one per (room, type, user, thread), each
 * write taking the next receipts stream position.
 */

export const RECEIPT_TYPES = ['m.read', 'm.read.private'] as const;
export type ReceiptType = (typeof RECEIPT_TYPES)[number];

export function isReceiptType(value: string): value is ReceiptType {
  return value === 'm.read' || value === 'm.read.private';
}

/** Told of each public read receipt a local user sets (federation passes it on as m.receipt). */
export type ReceiptListener = (receipt: { roomId: string; userId: string; eventId: string; threadId: string; ts: number }) => void;

export class ReceiptsService {
  private readonly localListeners: ReceiptListener[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly accountData: AccountDataService,
    private readonly notifier: Notifier,
  ) {}

  /** POST /rooms/{roomId}/receipt/{receiptType}/{eventId}. */
  post(requester: Requester, roomId: string, receiptType: string, eventId: string, threadId: unknown): void {
    if (receiptType === 'm.fully_read') {
      if (threadId !== undefined) throw invalidParam('thread_id cannot be used with m.fully_read');
      this.setReadMarkers(requester, roomId, { fullyRead: eventId });
      return;
    }
    if (!isReceiptType(receiptType)) throw invalidParam(`Unknown receipt type ${receiptType}`);
    if (threadId !== undefined && (typeof threadId !== 'string' || threadId.length === 0)) {
      throw invalidParam('thread_id field must be a non-empty string');
    }
    this.checkJoined(requester, roomId);
    this.checkEvent(roomId, eventId);
    if (threadId !== undefined && threadId !== 'main') this.checkEvent(roomId, threadId);
    const position = this.storage.transaction(() => this.putReceipt(requester.userId, roomId, receiptType, eventId, threadId ?? ''));
    if (position !== undefined) this.notifyRoom(roomId, position);
    if (position !== undefined && receiptType === 'm.read') this.toListeners(roomId, requester.userId, eventId, threadId ?? '');
  }

  /**
   * A public read receipt of a user of another server (m.receipt EDU; federation checked the
   * user belongs to the sending server). Ignored unless the user is joined to the room.
   */
  putRemote(roomId: string, userId: string, eventId: string, threadId: string, ts: number): void {
    if (this.storage.memberships.current(roomId, userId)?.membership !== 'join') return;
    const position = this.storage.transaction(() => this.putReceipt(userId, roomId, 'm.read', eventId, threadId, ts));
    if (position !== undefined) this.notifyRoom(roomId, position);
  }

  /** Subscribes to local public receipts (after they are stored). */
  onLocalReceipt(listener: ReceiptListener): void {
    this.localListeners.push(listener);
  }

  private toListeners(roomId: string, userId: string, eventId: string, threadId: string): void {
    const ts = this.clock.now();
    for (const listener of this.localListeners) listener({ roomId, userId, eventId, threadId, ts });
  }

  /** POST /rooms/{roomId}/read_markers: the marker and, optionally, receipts in one call. */
  setReadMarkers(requester: Requester, roomId: string, markers: { fullyRead?: string; read?: string; readPrivate?: string }): void {
    this.checkJoined(requester, roomId);
    for (const eventId of [markers.fullyRead, markers.read, markers.readPrivate]) if (eventId !== undefined) this.checkEvent(roomId, eventId);
    const { marker, receipt } = this.storage.transaction(() => {
      let marker: number | undefined;
      let receipt: number | undefined;
      if (markers.fullyRead !== undefined && !this.isBehind(requester.userId, roomId, markers.fullyRead)) {
        marker = this.accountData.putUnnotified(requester.userId, roomId, 'm.fully_read', { event_id: markers.fullyRead });
      }
      if (markers.read !== undefined) receipt = this.putReceipt(requester.userId, roomId, 'm.read', markers.read, '') ?? receipt;
      if (markers.readPrivate !== undefined) receipt = this.putReceipt(requester.userId, roomId, 'm.read.private', markers.readPrivate, '') ?? receipt;
      return { marker, receipt };
    });
    if (marker !== undefined) this.accountData.notifyOwner(requester.userId, marker);
    if (receipt !== undefined) this.notifyRoom(roomId, receipt);
    if (receipt !== undefined && markers.read !== undefined) this.toListeners(roomId, requester.userId, markers.read, '');
  }

  /**
   * Stores a receipt unless it would move the user's receipt backwards (clients send receipts
   * for older events when they scroll up; like Synapse we keep the newest). Returns the receipts
   * stream position it wrote at, if it wrote.
   */
  private putReceipt(userId: string, roomId: string, receiptType: ReceiptType, eventId: string, threadId: string, ts = this.clock.now()): number | undefined {
    const existing = this.storage.receipts.get(roomId, receiptType, userId, threadId);
    if (existing) {
      if (existing.eventId === eventId) return undefined;
      const [previous, next] = [this.storage.timeline.get(existing.eventId), this.storage.timeline.get(eventId)];
      if (previous && next && previous.streamOrdering > next.streamOrdering) return undefined;
    }
    const data: JsonObject = { ts };
    const streamId = this.storage.streamPositions.next('receipts');
    this.storage.receipts.put({
      roomId,
      receiptType,
      userId,
      threadId,
      eventId,
      data,
      streamId,
    });
    // The unread counts the receipt covers are settled with it (a no-op for remote users).
    if ((receiptType === 'm.read' || receiptType === 'm.read.private') && (threadId === '' || threadId === 'main')) {
      this.storage.pushActions.settle(roomId, userId);
    }
    return streamId;
  }

  private notifyRoom(roomId: string, position: number): void {
    this.notifier.notify({ roomId, stream: 'receipts', position });
  }

  /** Whether `eventId` is before the user's current read marker (which then stays). */
  private isBehind(userId: string, roomId: string, eventId: string): boolean {
    const current = this.storage.accountData.get(userId, roomId, 'm.fully_read')?.content['event_id'];
    if (typeof current !== 'string' || current === eventId) return false;
    const [previous, next] = [this.storage.timeline.get(current), this.storage.timeline.get(eventId)];
    return previous !== undefined && next !== undefined && previous.streamOrdering > next.streamOrdering;
  }

  private checkJoined(requester: Requester, roomId: string): void {
    if (this.storage.memberships.current(roomId, requester.userId)?.membership !== 'join') throw forbidden('You are not joined to this room');
  }

  private checkEvent(roomId: string, eventId: string): void {
    const event = this.storage.timeline.get(eventId);
    if (!event || event.roomId !== roomId) throw notFound('Event not found in this room');
  }
}
