import { isJsonObject, type JsonValue } from '../../../../core/json.js';
import { handleDeviceListUpdate } from './device-list-update.js';
import { handleDirectToDevice } from './direct-to-device.js';
import type { EduContext, EduHandler } from './edu-context.js';
import { handlePresence } from './presence.js';
import { handleReceipt } from './receipt.js';
import { handleSigningKeyUpdate } from './signing-key-update.js';
import { handleTyping } from './typing.js';

/** The EDU types we act on, one handler (and file) each; others are ignored, as the spec allows. */
const HANDLERS: ReadonlyMap<string, EduHandler> = new Map([
  ['m.typing', handleTyping],
  ['m.receipt', handleReceipt],
  ['m.presence', handlePresence],
  ['m.device_list_update', handleDeviceListUpdate],
  ['m.signing_key_update', handleSigningKeyUpdate],
  ['m.direct_to_device', handleDirectToDevice],
]);

/** Handles one untrusted EDU `{edu_type, content}`; a failure costs only this EDU. */
export function handleEdu(ctx: EduContext, edu: JsonValue): void {
  if (!isJsonObject(edu)) return;
  const type = edu['edu_type'];
  const content = edu['content'];
  if (typeof type !== 'string' || !isJsonObject(content)) return;
  const handler = HANDLERS.get(type);
  if (!handler) return;
  try {
    handler(ctx, content);
  } catch (err) {
    ctx.log.warn({ err, origin: ctx.origin, eduType: type }, 'inbound EDU failed');
  }
}

export type { EduContext } from './edu-context.js';
