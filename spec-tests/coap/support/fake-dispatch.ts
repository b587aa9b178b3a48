/**
 * A stand-in dispatcher for transport-level tests: it records every call and answers from a
 * few paths, so tests see exactly what the CoAP transport handed over and how often.
 */

import type { JsonObject, JsonValue } from '../../../src/core/json.js';
import type { Dispatch, EndpointResponse, IncomingRequest } from '../../../src/transport/coap/dispatch-contract.js';

export interface FakeDispatch {
  readonly dispatch: Dispatch;
  readonly calls: IncomingRequest[];
}

/** A deterministic body of about `bytes` bytes that differs per call (so a re-run would show). */
export function bigBody(bytes: number, call: number): JsonObject {
  const items: string[] = [];
  for (let i = 0; items.join('').length < bytes; i++) items.push(`call ${call} item ${i} `.padEnd(40, '.'));
  return { call, items };
}

function bodyForEcho(body: JsonValue | Uint8Array | undefined): JsonValue {
  if (body === undefined) return null;
  if (body instanceof Uint8Array) return { bytes: body.length };
  return body;
}

export function fakeDispatch(): FakeDispatch {
  const calls: IncomingRequest[] = [];
  const dispatch: Dispatch = async (request): Promise<EndpointResponse> => {
    calls.push(request);
    const call = calls.length;
    const url = new URL(request.path, 'coap://x');
    if (url.pathname === '/slow') {
      await new Promise((resolve) => setTimeout(resolve, Number(request.query.get('ms') ?? '300')));
    }
    if (url.pathname === '/big') return { status: 200, body: bigBody(Number(request.query.get('bytes') ?? '5000'), call) };
    if (url.pathname === '/whoami') {
      if (request.accessToken === undefined) return { status: 401, body: { errcode: 'M_MISSING_TOKEN', error: 'Missing access token' } };
      if (request.accessToken !== 'good-token') return { status: 401, body: { errcode: 'M_UNKNOWN_TOKEN', error: 'Unknown token', soft_logout: false } };
      return { status: 200, body: { user_id: '@alice:localhost', device_id: 'DEV' } };
    }
    if (url.pathname === '/limited') return { status: 429, body: { errcode: 'M_LIMIT_EXCEEDED', error: 'Too many requests', retry_after_ms: 1500 } };
    if (url.pathname === '/_matrix/client/v3/sync') {
      const timeout = Number(request.query.get('timeout') ?? '0');
      await new Promise((resolve) => setTimeout(resolve, Math.min(timeout, 2_000)));
      return { status: 200, body: { next_batch: 's1' } };
    }
    return {
      status: 200,
      body: {
        method: request.method,
        path: request.path,
        query: request.query.toString(),
        body: bodyForEcho(request.body),
        access_token: request.accessToken ?? null,
        transport: request.transport,
        client_ip: request.clientIp,
      },
    };
  };
  return { dispatch, calls };
}
