import type { JsonObject } from '../../core/json.js';
import type { StoredReceipt } from '../../storage/receipts-repo.js';
import type { RoomSyncKind, SyncContext } from './context.js';

/**
 * A joined room's ephemeral events: m.typing (the full list of typers, sent when it changed)
 * and m.receipt (receipts written in the window; all of them on a full sync). Private receipts
 * (m.read.private) go to their owner only.
 */

export function typingChanged(ctx: SyncContext, roomId: string): boolean {
  return ctx.typingReset || ctx.deps.typing.roomPosition(roomId) > (ctx.since?.typing ?? 0);
}

export function roomEphemeral(ctx: SyncContext, roomId: string, kind: RoomSyncKind, receiptsMayHaveChanged: boolean): JsonObject[] {
  const { typing, storage } = ctx.deps;
  const matcher = ctx.filter.room.ephemeral;
  if (!matcher.matchesRoom(roomId)) return [];
  const out: JsonObject[] = [];

  if (matcher.matches('m.typing', '')) {
    const typers = typing.typers(roomId);
    if (kind === 'full' ? typers.length > 0 : typingChanged(ctx, roomId)) out.push({ type: 'm.typing', content: { user_ids: typers } });
  }

  if (matcher.matches('m.receipt', '') && (kind === 'full' || receiptsMayHaveChanged)) {
    const receipts =
      kind === 'full' || !ctx.since
        ? storage.receipts.allInRoom(roomId, ctx.now.receipts)
        : storage.receipts.changedInRoom(roomId, ctx.since.receipts, ctx.now.receipts);
    const content = receiptContent(receipts, ctx.userId);
    if (Object.keys(content).length > 0) out.push({ type: 'm.receipt', content });
  }
  return matcher.limit !== undefined ? out.slice(0, matcher.limit) : out;
}

/** `{eventId: {receiptType: {userId: {ts, thread_id?}}}}`. */
function receiptContent(receipts: readonly StoredReceipt[], viewer: string): JsonObject {
  const content: Record<string, Record<string, JsonObject>> = {};
  for (const r of receipts) {
    if (r.receiptType === 'm.read.private' && r.userId !== viewer) continue;
    const byType = (content[r.eventId] ??= {});
    const byUser = (byType[r.receiptType] ??= {});
    byUser[r.userId] = r.threadId === '' ? r.data : { ...r.data, thread_id: r.threadId };
  }
  return content;
}
