import type { JsonValue } from '../../../core/json.js';
import type { Storage } from '../../../storage/storage.js';
import type { Logger } from '../../logger.js';
import type { RoomServices } from '../../rooms/index.js';
import { PduDroppedError, type IncomingPdu } from './incoming-pdu.js';
import { parseIncomingPdu } from './parse-incoming-pdu.js';
import { isMissingEvents, persistBatch } from './persist-batch.js';
import type { PduVerifier } from './verify-pdu.js';

/**
 * Events fetched from another server to complete the picture (auth chains, room state) are
 * stored as outliers (conduwuit's handle_outlier_pdu): format, signatures and hashes checked
 * like any PDU, then authorised against their own auth events only, auth events first. They take
 * no part in the timeline; as state or auth events they let later events be checked.
 *
 * Anything that fails is left out (logged), and the caller sees it is still missing.
 */
export class OutlierHandler {
  constructor(
    private readonly storage: Storage,
    private readonly rooms: RoomServices,
    private readonly verifier: PduVerifier,
    private readonly log: Logger,
  ) {}

  /**
   * Stores what it can of `raws` (untrusted PDUs claimed to be of `roomId`) as outliers; returns
   * the IDs among them now stored (including ones stored before). With `onlyIds`, PDUs whose
   * event ID is not one we asked for are ignored (a server answering /event with another event).
   */
  async persistOutliers(roomId: string, raws: readonly JsonValue[], onlyIds?: ReadonlySet<string>): Promise<Set<string>> {
    const stored = new Set<string>();
    const parsed = new Map<string, IncomingPdu>();
    const versionOf = (id: string) => this.rooms.loader.versionOf(id);
    for (const raw of raws) {
      let p: IncomingPdu;
      try {
        p = parseIncomingPdu(raw, versionOf, roomId);
      } catch (err) {
        this.dropped(err, roomId);
        continue;
      }
      if (onlyIds && !onlyIds.has(p.eventId)) continue;
      if (this.storage.events.has(p.eventId)) stored.add(p.eventId);
      else parsed.set(p.eventId, p);
    }

    const verified: IncomingPdu[] = [];
    await Promise.all(
      [...parsed.values()].map(async (p) => {
        try {
          verified.push(await this.verifier.verify(p));
        } catch (err) {
          this.dropped(err, roomId);
        }
      }),
    );

    const ordered = authOrder(verified);
    const results = persistBatch(this.storage, this.rooms, ordered.length, (i) => {
      const p = ordered[i]!;
      return { pdu: p.pdu, event: p.event, version: p.version, outlier: true };
    });
    results.forEach((r, i) => {
      const id = ordered[i]!.eventId;
      if (r.outcome) stored.add(id);
      else if (isMissingEvents(r.error)) this.log.debug({ eventId: id, missing: r.error.eventIds }, 'outlier still lacks auth events');
      else this.log.warn({ err: r.error, eventId: id }, 'outlier could not be stored');
    });
    return stored;
  }

  private dropped(err: unknown, roomId: string): void {
    if (err instanceof PduDroppedError) this.log.debug({ roomId, reason: err.message }, 'fetched event dropped');
    else this.log.warn({ err, roomId }, 'fetched event could not be handled');
  }
}

/**
 * Auth events before the events they authorise (Kahn's algorithm over the auth edges within the
 * batch; ties by depth). Cycles, which only a hostile server produces, go last and then fail for
 * want of their auth events.
 */
export function authOrder(events: readonly IncomingPdu[]): IncomingPdu[] {
  const byId = new Map(events.map((p) => [p.eventId, p]));
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const p of events) {
    let n = 0;
    for (const a of new Set(p.event.auth_events)) {
      if (!byId.has(a) || a === p.eventId) continue;
      n++;
      let list = dependents.get(a);
      if (!list) dependents.set(a, (list = []));
      list.push(p.eventId);
    }
    waitingOn.set(p.eventId, n);
  }
  const byDepth = (a: IncomingPdu, b: IncomingPdu) => a.event.depth - b.event.depth;
  let ready = events.filter((p) => waitingOn.get(p.eventId) === 0).sort(byDepth);
  const out: IncomingPdu[] = [];
  while (ready.length > 0) {
    const next: IncomingPdu[] = [];
    for (const p of ready) {
      out.push(p);
      for (const d of dependents.get(p.eventId) ?? []) {
        const left = waitingOn.get(d)! - 1;
        waitingOn.set(d, left);
        if (left === 0) next.push(byId.get(d)!);
      }
    }
    ready = next.sort(byDepth);
  }
  if (out.length < events.length) {
    const placed = new Set(out.map((p) => p.eventId));
    out.push(...events.filter((p) => !placed.has(p.eventId)).sort(byDepth));
  }
  return out;
}
