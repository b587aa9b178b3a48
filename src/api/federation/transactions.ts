import { Type } from '@sinclair/typebox';
import { ok } from '../endpoint.js';
import { AnyJson, endpoint } from '../define.js';

/**
 * Transactions (shared/spec/openapi/data/api/server-server/transactions.yaml): PDUs and EDUs
 * pushed by another server. The limits (50 PDUs, 100 EDUs), deduplication and the per-PDU
 * answer live in services/federation/inbound/transaction-handler.ts.
 */
export const sendTransaction = endpoint({
  id: 'sendTransaction',
  method: 'PUT',
  path: '/_matrix/federation/v1/send/{txnId}',
  auth: 'server',
  // Federation traffic is bounded per transaction (50 PDUs, a fetch budget) and per origin
  // (one transaction at a time), not by the per-user client buckets.
  rateLimit: 'none',
  body: Type.Object({
    origin: Type.Optional(Type.String()),
    origin_server_ts: Type.Optional(AnyJson()),
    pdus: Type.Array(AnyJson()),
    edus: Type.Optional(Type.Array(AnyJson())),
  }),
  async handler({ services, origin, params, body }) {
    return ok(await services.federationEvents.transactions.receive(origin, params['txnId']!, body));
  },
});

export const transactionEndpoints = [sendTransaction];
