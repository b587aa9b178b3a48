import type { Pdu } from '../../../core/events/pdu.js';
import type { JsonObject } from '../../../core/json.js';
import type { EventLoader } from '../../rooms/event-loader.js';

/**
 * Stored events as other servers get them: the PDU without `unsigned` (which holds local
 * bookkeeping such as an invite's invite_room_state, never part of what was signed).
 */
export function federationPdu(pdu: Pdu): JsonObject {
  if (pdu.unsigned === undefined) return pdu as JsonObject;
  const { unsigned: _unsigned, ...rest } = pdu;
  return rest as JsonObject;
}

/** The stored events among `eventIds` in federation format (unknown ones are skipped). */
export function federationPdus(loader: EventLoader, eventIds: Iterable<string>): JsonObject[] {
  const out: JsonObject[] = [];
  for (const id of eventIds) {
    const loaded = loader.load(id);
    if (loaded) out.push(federationPdu(loaded.pdu));
  }
  return out;
}
