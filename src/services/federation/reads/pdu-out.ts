import type { Pdu } from '../../../core/events/pdu.js';
import { redactEvent } from '../../../core/events/redaction.js';
import type { JsonObject } from '../../../core/json.js';
import type { EventLoader } from '../../rooms/event-loader.js';

/**
 * Stored events as other servers get them: the PDU as signed, without `unsigned` (local
 * bookkeeping), and in its redacted form once a redaction applies to it (or when the reader may
 * not see it: visibility asks for `redacted`). Signatures survive redaction, so the receiver can
 * still verify it; the content hash then tells it the event was redacted.
 */
export function pduOut(loader: EventLoader, eventId: string, redacted: boolean): JsonObject | undefined {
  const loaded = loader.load(eventId);
  if (!loaded) return undefined;
  if (redacted) return redactEvent(loaded.pdu, loaded.version);
  return withoutUnsigned(loaded.pdu);
}

function withoutUnsigned(pdu: Pdu): JsonObject {
  if (!Object.hasOwn(pdu, 'unsigned')) return pdu as JsonObject;
  const { unsigned: _unsigned, ...rest } = pdu;
  return rest as JsonObject;
}
