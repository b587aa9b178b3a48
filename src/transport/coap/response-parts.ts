/**
 * Building CoAP responses from Matrix answers: the code from the HTTP status, the body in the
 * negotiated format, Max-Age for rate limits, and Matrix error objects as CBOR for the errors
 * this transport raises itself (bad options, block-wise failures, undecodable bodies).
 */

import type { JsonObject, JsonValue } from '../../core/json.js';
import type { CoapCode } from './codes.js';
import { encodeJsonBody, type JsonFormat } from './content-format.js';
import type { ResponseParts } from './message-layer.js';
import { encodeUint, Opt, type RawOption } from './options.js';

export interface BodyEncoding {
  readonly format: JsonFormat;
  readonly integerKeys: boolean;
}

/** A Matrix error object `{errcode, error}` with a CoAP code and optional extra options. */
export function matrixError(
  code: CoapCode,
  errcode: string,
  error: string,
  encoding: BodyEncoding,
  extraOptions: readonly RawOption[] = [],
): ResponseParts {
  const body = encodeJsonBody({ errcode, error }, encoding.format, encoding.integerKeys);
  return {
    code,
    options: [...extraOptions, { number: Opt.ContentFormat, value: encodeUint(body.contentFormat) }],
    payload: body.payload,
  };
}

/**
 * Max-Age in seconds for a 429 (RFC 8516) or 503: from the body's retry_after_ms, else the
 * Retry-After header; rounded up so the client never comes back early.
 */
export function retryAfterSeconds(status: number, body: JsonObject | JsonValue[] | Uint8Array, headers: Readonly<Record<string, string>> | undefined): number | undefined {
  if (status !== 429 && status !== 503) return undefined;
  if (!(body instanceof Uint8Array) && !Array.isArray(body)) {
    const ms = body['retry_after_ms'];
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  }
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'retry-after') continue;
    const seconds = Number.parseInt(value, 10);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  }
  return undefined;
}
