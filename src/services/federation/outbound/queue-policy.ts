import { isJsonObject, type JsonObject, type JsonValue } from '../../../core/json.js';
import type { EduToQueue } from '../../../storage/federation-queue-repo.js';

/**
 * The outbound queue's rules for what may be collapsed, replaced, dropped as stale or shed
 * under the cap (the policy itself is described in outbound-queue.ts). Pure functions and
 * constants, so the rules read in one place.
 */

/** More queued PDUs than this for a destination puts it in catch-up even while it answers. */
export const CATCH_UP_PDU_THRESHOLD = 50;

/**
 * During catch-up a room's queued PDUs are thinned to stepping stones at most this many depths
 * apart. A receiver fills the gap before each stone with one /get_missing_events call, and both
 * Synapse (_get_missing_events_for_pdu) and Lattice (inbound/fetch-prev.ts) ask for 10 events:
 * stones 10 depths apart leave at most 9 events between them on a linear history, so every
 * event reaches the peer's DAG instead of a gap papered over with /state_ids.
 */
export const CATCH_UP_DEPTH_STRIDE = 10;

/** A typing notification older than this says nothing true any more (clients time out at ~30 s). */
export const TYPING_STALE_MS = 30_000;

/** Items queued per destination at most (essential EDUs and each room's newest PDU excepted). */
export const MAX_QUEUED_PER_DESTINATION = 10_000;

/** EDUs that are never coalesced, dropped or shed: losing one breaks end-to-end encryption. */
export const ESSENTIAL_EDU_TYPES: readonly string[] = ['m.device_list_update', 'm.signing_key_update', 'm.direct_to_device'];

/** Shed first under the cap, in this order (then other EDUs, then PDUs behind a newer one of their room). */
export const SHED_FIRST_EDU_TYPES: readonly string[] = ['m.typing', 'm.presence', 'm.receipt'];

/** Receipts or presence entries one EDU is split into at most; the rest stays together, unkeyed. */
const MAX_SPLIT = 1000;

/**
 * One EDU as it is queued: presence and receipts are split into one EDU per user (per room,
 * receipt type, user and thread), each keyed so a newer update replaces the queued one; typing
 * is keyed per room and user; every other type is queued as it is, unkeyed. Content of an
 * unexpected shape is queued unkeyed rather than dropped.
 */
export function queueableEdus(eduType: string, content: JsonObject): EduToQueue[] {
  const whole = (): EduToQueue[] => [{ json: JSON.stringify({ edu_type: eduType, content }), eduType, coalesceKey: null }];
  const keyed = (c: JsonObject, key: JsonValue[]): EduToQueue => ({
    json: JSON.stringify({ edu_type: eduType, content: c }),
    eduType,
    coalesceKey: JSON.stringify([eduType, ...key]),
  });
  switch (eduType) {
    case 'm.typing': {
      const { room_id: roomId, user_id: userId } = content;
      return typeof roomId === 'string' && typeof userId === 'string' ? [keyed(content, [roomId, userId])] : whole();
    }
    case 'm.presence':
      return splitPresence(content, keyed) ?? whole();
    case 'm.receipt':
      return splitReceipts(content, keyed) ?? whole();
    default:
      return whole();
  }
}

type Keyed = (content: JsonObject, key: JsonValue[]) => EduToQueue;

function splitPresence(content: JsonObject, keyed: Keyed): EduToQueue[] | undefined {
  const push = content['push'];
  if (!Array.isArray(push)) return undefined;
  const out: EduToQueue[] = [];
  const rest: JsonValue[] = [];
  for (const entry of push) {
    if (out.length < MAX_SPLIT && isJsonObject(entry) && typeof entry['user_id'] === 'string') out.push(keyed({ push: [entry] }, [entry['user_id']]));
    else rest.push(entry);
  }
  if (rest.length > 0) out.push({ json: JSON.stringify({ edu_type: 'm.presence', content: { push: rest } }), eduType: 'm.presence', coalesceKey: null });
  return out;
}

/** `{room: {receipt type: {user: {event_ids, data: {ts, thread_id?}}}}}` → one EDU per leaf. */
function splitReceipts(content: JsonObject, keyed: Keyed): EduToQueue[] | undefined {
  const out: EduToQueue[] = [];
  for (const [roomId, byType] of Object.entries(content)) {
    if (!isJsonObject(byType)) return undefined;
    for (const [receiptType, byUser] of Object.entries(byType)) {
      if (!isJsonObject(byUser)) return undefined;
      for (const [userId, receipt] of Object.entries(byUser)) {
        if (!isJsonObject(receipt) || out.length >= MAX_SPLIT) return undefined;
        const data = receipt['data'];
        const threadId = isJsonObject(data) && typeof data['thread_id'] === 'string' ? data['thread_id'] : '';
        out.push(keyed({ [roomId]: { [receiptType]: { [userId]: receipt } } }, [roomId, receiptType, userId, threadId]));
      }
    }
  }
  return out;
}

/**
 * Of one room's queued PDUs (oldest first), the ids catch-up can drop: the oldest and the newest
 * stay, and of those between, each one the next kept stone could not reach from the previous one
 * within CATCH_UP_DEPTH_STRIDE. PDUs of unknown depth are always kept.
 */
export function redundantStones(rows: readonly { readonly id: number; readonly depth: number | null }[]): number[] {
  const drop: number[] = [];
  if (rows.length < 3) return drop;
  let base = rows[0]!;
  for (let i = 1; i < rows.length - 1; i++) {
    const row = rows[i]!;
    const next = rows[i + 1]!;
    if (row.depth !== null && next.depth !== null && base.depth !== null && next.depth - base.depth <= CATCH_UP_DEPTH_STRIDE) drop.push(row.id);
    else base = row;
  }
  return drop;
}
