import { Type } from '@sinclair/typebox';
import { AnyObject, endpoint } from '../define.js';
import { ok } from '../endpoint.js';

/**
 * PUT /sendToDevice/{eventType}/{txnId} (spec module to_device.yaml). `messages` maps user IDs to
 * device IDs (or `*`) to content objects; anything else is M_BAD_JSON before the service runs.
 * Rate-limited with room messages (rc_message).
 */
export const sendToDevice = endpoint({
  id: 'sendToDevice',
  method: 'PUT',
  path: '/_matrix/client/v3/sendToDevice/{eventType}/{txnId}',
  aliases: ['/_matrix/client/r0/sendToDevice/{eventType}/{txnId}'],
  auth: 'user',
  // Not rc_message: sharing room keys sends to-device bursts to many devices, and Synapse does not
  // rate-limit this endpoint either.
  rateLimit: 'general',
  body: Type.Object({ messages: Type.Record(Type.String(), Type.Record(Type.String(), AnyObject())) }),
  async handler({ services, requester, params, body }) {
    services.toDevice.send(requester, params['eventType']!, params['txnId']!, body.messages);
    return ok({});
  },
});

export const toDeviceEndpoints = [sendToDevice];
