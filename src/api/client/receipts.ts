import { Type } from '@sinclair/typebox';
import { AnyJson, endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const postReceipt = endpoint({
  id: 'postReceipt',
  method: 'POST',
  path: '/_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}',
  aliases: ['/_matrix/client/r0/rooms/{roomId}/receipt/{receiptType}/{eventId}'],
  auth: 'user',
  rateLimit: 'general',
  // thread_id is checked by the service so a bad one gets the spec's M_INVALID_PARAM.
  body: Type.Object({ thread_id: Type.Optional(AnyJson()) }),
  async handler({ services, requester, params, body }) {
    services.receipts.post(requester, params['roomId']!, params['receiptType']!, params['eventId']!, body.thread_id);
    services.presence.userActive(requester.userId);
    return ok({});
  },
});

export const receiptsEndpoints = [postReceipt];
