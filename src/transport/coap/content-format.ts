/**
 * Content-Format negotiation (RFC 7252 §12.3 numbers) for Matrix bodies over CoAP.
 *
 * Requests: 60 (CBOR) or 50 (JSON) become a JSON value for the dispatcher; other formats pass
 * through as bytes (the endpoint decides whether it takes raw bodies). Without a Content-Format
 * the body is CBOR, the transport's native format, unless it plainly starts like JSON.
 * Responses: CBOR unless the client's Accept asks for 50, or it sent JSON and has no Accept
 * (MSC3079: never answer a JSON request with CBOR unless Accept says so).
 */

import type { JsonObject, JsonValue } from '../../core/json.js';
import { CborBodyError, decodeCborBody, encodeCborBody } from './cbor-body.js';

export const ContentFormat = { TextPlain: 0, OctetStream: 42, Json: 50, Cbor: 60 } as const;

export type RequestBody =
  | { readonly ok: true; readonly body: JsonValue | Uint8Array | undefined; readonly usedIntegerKeys: boolean }
  | { readonly ok: false; readonly errcode: 'M_NOT_JSON' | 'M_BAD_JSON'; readonly error: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeRequestBody(payload: Buffer, contentFormat: number | undefined): RequestBody {
  if (payload.length === 0) return { ok: true, body: undefined, usedIntegerKeys: false };
  const format = contentFormat ?? (payload[0] === 0x7b /* { */ ? ContentFormat.Json : ContentFormat.Cbor);
  if (format === ContentFormat.Cbor) {
    try {
      const decoded = decodeCborBody(payload);
      return { ok: true, body: decoded.value, usedIntegerKeys: decoded.usedIntegerKeys };
    } catch (error) {
      if (error instanceof CborBodyError) return { ok: false, errcode: error.errcode, error: error.message };
      throw error;
    }
  }
  if (format === ContentFormat.Json) {
    try {
      return { ok: true, body: JSON.parse(utf8.decode(payload)) as JsonValue, usedIntegerKeys: false };
    } catch {
      return { ok: false, errcode: 'M_NOT_JSON', error: 'Content not JSON.' };
    }
  }
  return { ok: true, body: new Uint8Array(payload), usedIntegerKeys: false };
}

export type JsonFormat = 'cbor' | 'json';

/** Undefined when the client accepts neither CBOR nor JSON for a JSON body (→ 4.06). */
export function responseFormat(accept: number | undefined, requestFormat: number | undefined): JsonFormat | undefined {
  if (accept === undefined) return requestFormat === ContentFormat.Json ? 'json' : 'cbor';
  if (accept === ContentFormat.Cbor) return 'cbor';
  if (accept === ContentFormat.Json) return 'json';
  return undefined;
}

export interface EncodedBody {
  readonly payload: Buffer;
  readonly contentFormat: number;
}

export function encodeJsonBody(body: JsonObject | JsonValue[], format: JsonFormat, integerKeys: boolean): EncodedBody {
  if (format === 'json') return { payload: Buffer.from(JSON.stringify(body)), contentFormat: ContentFormat.Json };
  return { payload: encodeCborBody(body, integerKeys), contentFormat: ContentFormat.Cbor };
}

/** The media type a request's Content-Format names, for raw bodies (media upload); undefined when unknown. */
export function mediaTypeForContentFormat(contentFormat: number | undefined): string | undefined {
  if (contentFormat === ContentFormat.TextPlain) return 'text/plain; charset=utf-8';
  if (contentFormat === ContentFormat.OctetStream) return 'application/octet-stream';
  if (contentFormat === ContentFormat.Json) return 'application/json';
  if (contentFormat === ContentFormat.Cbor) return 'application/cbor';
  return undefined;
}

/** Raw bodies keep their media type where CoAP has a number for it (as matrix-org/lb maps them). */
export function contentFormatForMediaType(mediaType: string | undefined): number {
  const base = (mediaType ?? '').split(';')[0]?.trim().toLowerCase();
  if (base === 'application/json') return ContentFormat.Json;
  if (base === 'application/cbor') return ContentFormat.Cbor;
  if (base === 'text/plain') return ContentFormat.TextPlain;
  return ContentFormat.OctetStream;
}
