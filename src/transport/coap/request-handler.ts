/**
 * From a CoAP request to the shared dispatcher and back: the CoAP-specific meaning of a request
 * (options, block-wise transfer, MSC3079 token/key/enum rules) on one side, an
 * `IncomingRequest`/`EndpointResponse` pair on the other. Runs under the message layer, which
 * has already deduplicated the message, so everything here happens once per request.
 *
 *   options check (4.02 / 5.05) → method (4.05) → key-table version (257) → target (enums)
 *   → Block2 continuation served from the cache, no dispatch
 *   → Block1 reassembly (2.31 / 4.08 / 4.13) → body decode (CBOR/JSON, integer keys)
 *   → access token (256, sticky where safe) → dispatch → code, format, Max-Age
 *   → Block2 block 0 (whole body stored once, ETag + Size2) when it exceeds one block
 *
 * GET /sync with Observe: 0 registers an RFC 7641 observation (observe.ts): the initial answer is
 * computed at once (timeout 0) and carries an Observe value and Max-Age; Observe: 1 deregisters.
 */

import { Block1Assembler } from './block1-assembler.js';
import { Block2Cache, type StoredResponse } from './block2-cache.js';
import { blockSize, decodeBlock, encodeBlock, type BlockValue } from './block-option.js';
import { CBOR_KEY_TABLE_VERSION } from './cbor-keys.js';
import { coapCodeForHttpStatus, codeClass, CoapOnly, METHOD_BY_CODE } from './codes.js';
import { MAX_SZX } from './constants.js';
import { contentFormatForMediaType, decodeRequestBody, encodeJsonBody, mediaTypeForContentFormat, responseFormat } from './content-format.js';
import { LEAN_SYNC_FILTER_JSON } from './lean-filter.js';
import { jsonObjectBody, type Dispatch, type EndpointResponse } from './dispatch-contract.js';
import type { CoapEndpoint } from './endpoint.js';
import type { EndpointSessions } from './endpoint-sessions.js';
import type { InboundRequest, RequestControl, RequestHandler, ResponseParts } from './message-layer.js';
import type { NotificationRenderer, ObserveRegistry, Registration, RenderedNotification } from './observe.js';
import { decodeUint, encodeUint, firstUnrecognizedCritical, Opt, optionValue, optionValues, type RawOption } from './options.js';
import { requestTarget } from './request-target.js';
import { matrixError, retryAfterSeconds, type BodyEncoding } from './response-parts.js';

export interface RequestHandlerDeps {
  readonly dispatch: Dispatch;
  readonly sessions: EndpointSessions;
  readonly block1: Block1Assembler;
  readonly block2: Block2Cache;
  readonly maxBodyBytes: number;
  /** Observe on /sync; without it an Observe option is ignored (a plain GET, as RFC 7641 allows). */
  readonly observe?: ObserveRegistry;
}

const BEARER = /^bearer /i;
const SYNC_PATH = /^\/_matrix\/client\/(?:v3|r0)\/sync$/;

/** Option values we read, or the option that was malformed (critical → 4.02). */
interface ParsedOptions {
  readonly contentFormat: number | undefined;
  readonly accept: number | undefined;
  readonly block1: BlockValue | undefined;
  readonly block2: BlockValue | undefined;
  readonly size1: number | undefined;
  readonly wantsSize2: boolean;
  readonly keyVersion: number | undefined;
  readonly accessToken: string | undefined;
  readonly requestTag: string;
}

function parseOptions(options: readonly RawOption[]): ParsedOptions | { bad: number } {
  const uint = (number: number, maxBytes: number): number | undefined | 'bad' => {
    const raw = optionValue(options, number);
    if (raw === undefined) return undefined;
    return decodeUint(raw, maxBytes) ?? 'bad';
  };
  const block = (number: number): BlockValue | undefined | 'bad' => {
    const raw = optionValue(options, number);
    if (raw === undefined) return undefined;
    return decodeBlock(raw) ?? 'bad';
  };
  const accept = uint(Opt.Accept, 2);
  if (accept === 'bad') return { bad: Opt.Accept };
  const block1 = block(Opt.Block1);
  if (block1 === 'bad') return { bad: Opt.Block1 };
  const block2 = block(Opt.Block2);
  if (block2 === 'bad') return { bad: Opt.Block2 };
  const keyVersion = uint(Opt.CborKeyVersion, 4);
  if (keyVersion === 'bad') return { bad: Opt.CborKeyVersion };
  // Elective options with a bad length are ignored (RFC 7252 §5.4.3).
  const contentFormat = uint(Opt.ContentFormat, 2);
  const size1 = uint(Opt.Size1, 4);
  const token = optionValue(options, Opt.AccessToken);
  return {
    contentFormat: contentFormat === 'bad' ? undefined : contentFormat,
    accept,
    block1,
    block2,
    size1: size1 === 'bad' ? undefined : size1,
    wantsSize2: optionValue(options, Opt.Size2) !== undefined,
    keyVersion,
    accessToken: token === undefined ? undefined : token.toString('utf8').replace(BEARER, ''),
    requestTag: optionValues(options, Opt.RequestTag).map((v) => v.toString('hex')).join(','),
  };
}

export function createRequestHandler(deps: RequestHandlerDeps): RequestHandler {
  return async (request, control) => applyNoResponse(request.message.options, await handle(deps, request, control));
}

/**
 * RFC 7967 No-Response: the client says which response classes it does not want (bit 2: 2.xx,
 * 8: 4.xx, 16: 5.xx). A sensor that only reports readings saves the whole reply (a CON then gets
 * an empty ACK). 2.31 Continue is always sent: a Block1 upload cannot go on without it.
 */
function applyNoResponse(options: readonly RawOption[], parts: ResponseParts): ResponseParts {
  const raw = optionValue(options, Opt.NoResponse);
  const bits = raw === undefined ? undefined : decodeUint(raw, 1);
  if (bits === undefined || parts.code === CoapOnly.Continue) return parts;
  const cls = codeClass(parts.code);
  const mask = cls === 2 ? 2 : cls === 4 ? 8 : cls === 5 ? 16 : 0;
  return (bits & mask) !== 0 ? { ...parts, suppressed: true } : parts;
}

async function handle(deps: RequestHandlerDeps, { endpoint, message, requester, security }: InboundRequest, control: RequestControl): Promise<ResponseParts> {
  const session = deps.sessions.get(endpoint);
  // Error bodies before we know better: CBOR, integer keys only if this endpoint asked for them.
  let encoding: BodyEncoding = { format: 'cbor', integerKeys: session?.integerKeys ?? false };

  const unrecognized = firstUnrecognizedCritical(message.options);
  if (unrecognized !== undefined) {
    return matrixError(CoapOnly.BadOption, 'M_UNRECOGNIZED', `Unrecognized critical option ${unrecognized}`, encoding);
  }
  if (optionValue(message.options, Opt.ProxyUri) !== undefined || optionValue(message.options, Opt.ProxyScheme) !== undefined) {
    return matrixError(CoapOnly.ProxyingNotSupported, 'M_UNRECOGNIZED', 'This endpoint is not a proxy', encoding);
  }
  const method = METHOD_BY_CODE.get(message.code);
  if (method === undefined) return matrixError('4.05', 'M_UNRECOGNIZED', `Unrecognized request method ${message.code}`, encoding);

  const parsed = parseOptions(message.options);
  if ('bad' in parsed) return matrixError(CoapOnly.BadOption, 'M_UNRECOGNIZED', `Malformed option ${parsed.bad}`, encoding);
  if (parsed.keyVersion !== undefined) {
    if (parsed.keyVersion !== 0 && parsed.keyVersion !== CBOR_KEY_TABLE_VERSION) {
      return matrixError(CoapOnly.BadOption, 'M_UNRECOGNIZED', `CBOR key table version ${parsed.keyVersion} is not supported (1 is)`, encoding);
    }
    deps.sessions.setIntegerKeys(endpoint, parsed.keyVersion === CBOR_KEY_TABLE_VERSION);
    encoding = { ...encoding, integerKeys: parsed.keyVersion === CBOR_KEY_TABLE_VERSION };
  }
  const format = responseFormat(parsed.accept, parsed.contentFormat);
  if (format !== undefined) encoding = { ...encoding, format };

  const target = requestTarget(message.options);
  if (!target.ok) return matrixError(coapCodeForHttpStatus(target.status), target.errcode, target.error, encoding);
  // A constrained client that syncs without a filter gets the lean one (lean-filter.ts).
  if (SYNC_PATH.test(target.path) && !target.query.has('filter')) target.query.set('filter', LEAN_SYNC_FILTER_JSON);

  // The block size the client can take for the response (RFC 7959 §2.4: a smaller SZX is honoured).
  const responseSzx = Math.min(parsed.block2?.szx ?? MAX_SZX, MAX_SZX);
  const queryString = target.query.toString();
  const transferKey = `${endpoint.key} ${method} ${target.path}?${queryString}`;
  const block2Key = `${transferKey} accept=${parsed.accept ?? ''}`;

  const observeOption = optionValue(message.options, Opt.Observe);

  if (parsed.block2 !== undefined && parsed.block2.num > 0) {
    const stored = deps.block2.get(block2Key);
    if (stored !== undefined) {
      const block = serveBlock(stored, parsed.block2.num, responseSzx, parsed.wantsSize2, undefined, encoding);
      // The client has the whole body now: what an Observe notification waits for before it counts as delivered.
      if (!hasMoreBlocks(block)) deps.observe?.blocksServed(block2Key, stored.etag);
      // A client that fetches a notification's blocks with its Observe option still set (node-coap does)
      // gets the notification's Observe value back, so it files the assembled body under it.
      if (stored.observe !== undefined && observeOption !== undefined) {
        return { ...block, options: [...block.options, { number: Opt.Observe, value: encodeUint(stored.observe) }] };
      }
      return block;
    }
    // Only a safe method may be run again to regenerate the representation.
    if (method !== 'GET') {
      return matrixError(CoapOnly.RequestEntityIncomplete, 'M_UNKNOWN', 'The response these blocks belong to has expired; send the request again', encoding);
    }
  }

  let payload = message.payload;
  let block1Echo: BlockValue | undefined;
  if (parsed.block1 !== undefined) {
    const key = `${transferKey} tag=${parsed.requestTag}`;
    const outcome = deps.block1.accept(key, parsed.block1, message.payload, parsed.block1.num === 0 ? parsed.size1 : undefined);
    switch (outcome.kind) {
      case 'continue':
        return { code: CoapOnly.Continue, options: [{ number: Opt.Block1, value: encodeBlock(outcome.block) }], payload: Buffer.alloc(0) };
      case 'incomplete':
        return matrixError(CoapOnly.RequestEntityIncomplete, 'M_UNKNOWN', outcome.reason, encoding);
      case 'too-large':
        return tooLarge(outcome.limit, encoding);
      case 'bad-block':
        return matrixError('4.00', 'M_UNKNOWN', outcome.reason, encoding);
      case 'complete':
        payload = outcome.body;
        block1Echo = outcome.block;
    }
  } else if (payload.length > deps.maxBodyBytes) {
    return tooLarge(deps.maxBodyBytes, encoding);
  }

  const decoded = decodeRequestBody(payload, parsed.contentFormat);
  if (!decoded.ok) return matrixError('4.00', decoded.errcode, decoded.error, encoding);
  if (decoded.usedIntegerKeys && !encoding.integerKeys) {
    // MSC3079: a client that sends integer keys reads them; table version 1 is assumed.
    deps.sessions.setIntegerKeys(endpoint, true);
    encoding = { ...encoding, integerKeys: true };
  }

  // Under OSCORE the context already authenticated the device: no token is read or remembered.
  const accessToken = requester !== undefined ? undefined : resolveAccessToken(deps.sessions, endpoint, parsed.accessToken, session?.accessToken);
  // RFC 7641: Observe 0 registers, 1 deregisters (same endpoint and token); only /sync is observable.
  let registration: Registration | undefined;
  let query = target.query;
  if (deps.observe !== undefined && observeOption !== undefined && method === 'GET' && SYNC_PATH.test(target.path) && (parsed.block2?.num ?? 0) === 0) {
    const observe = decodeUint(observeOption, 3);
    if (observe === 1) deps.observe.deregister(endpoint, message.token);
    else if (observe === 0) registration = deps.observe.admit(endpoint, message.token, security);
    if (registration !== undefined) {
      // The initial answer comes at once; waiting is what the notifications are for.
      query = new URLSearchParams(target.query);
      query.set('timeout', '0');
    }
  }

  const timeout = query.get('timeout');
  if (SYNC_PATH.test(target.path) && timeout !== null && Number(timeout) > 0) control.acknowledgeNow(); // long-poll

  const response = await deps.dispatch({
    method,
    path: target.path,
    query,
    body: decoded.body,
    accessToken,
    contentType: mediaTypeForContentFormat(parsed.contentFormat),
    authenticated: requester,
    clientIp: endpoint.address,
    transport: 'coap',
    signal: control.signal,
  });

  // A refused token is not remembered: the next token-less request says M_MISSING_TOKEN.
  if (response.status === 401 && accessToken !== undefined && errcodeOf(response) === 'M_UNKNOWN_TOKEN') {
    deps.sessions.forgetToken(endpoint, accessToken);
  }

  if (registration !== undefined) {
    const nextBatch = jsonObjectBody(response)?.['next_batch'];
    if (response.status >= 200 && response.status < 300 && typeof nextBatch === 'string' && format !== undefined) {
      const observe = deps.observe!;
      const render = notificationRenderer(deps, format, encoding, responseSzx, block2Key, observe.maxAgeSeconds);
      const initial = render(response, observe.nextObserveValue());
      observe.activate(registration, {
        path: target.path,
        query: target.query,
        accessToken,
        block2Key,
        render,
        nextBatch,
        since: target.query.get('since') ?? undefined,
        blockwise: initial.blockwise,
        requester,
      });
      return initial.parts;
    }
    deps.observe!.abandon(registration);
  }

  const full = encodeResponse(response, method, format, encoding);
  if (full === undefined) {
    return matrixError('4.06', 'M_UNKNOWN', 'The response is JSON; Accept application/cbor (60) or application/json (50)', encoding);
  }
  const extra: RawOption[] = block1Echo === undefined ? [] : [{ number: Opt.Block1, value: encodeBlock({ ...block1Echo, more: false }) }];
  const requestedNum = parsed.block2?.num ?? 0;
  if (full.payload.length <= blockSize(responseSzx) && requestedNum === 0) {
    // Fits one block: answer whole (a Block2 with NUM 0 in the request was only a size preference).
    return { code: full.code, options: [...full.options, ...extra], payload: full.payload };
  }
  const stored = deps.block2.put(block2Key, full);
  return serveBlock(stored, requestedNum, responseSzx, true, extra, encoding);
}

/**
 * How a registration's answers go on the wire: the initial response and every notification are
 * encoded like a GET answer, with the Observe value and a Max-Age saying when the next one comes
 * at the latest; a body over one block is stored in the Block2 cache under the registration's
 * GET key and block 0 goes out (ETag, Size2), so the client's follow-up GETs get exactly what was
 * pushed (MSC3079 §OBSERVE). A final notification (observe undefined) has no Observe option.
 */
function notificationRenderer(
  deps: RequestHandlerDeps,
  format: 'cbor' | 'json',
  encoding: BodyEncoding,
  szx: number,
  block2Key: string,
  maxAgeSeconds: number,
): NotificationRenderer {
  return (response, observe): RenderedNotification => {
    const full = encodeResponse(response, 'GET', format, encoding)!;
    const options =
      observe === undefined ? full.options : [...full.options.filter((o) => o.number !== Opt.MaxAge), { number: Opt.MaxAge, value: encodeUint(maxAgeSeconds) }];
    const withObserve = (parts: ResponseParts): ResponseParts =>
      observe === undefined ? parts : { ...parts, options: [...parts.options, { number: Opt.Observe, value: encodeUint(observe) }] };
    if (full.payload.length <= blockSize(szx)) return { parts: withObserve({ code: full.code, options, payload: full.payload }), blockwise: undefined };
    const stored = deps.block2.put(block2Key, { code: full.code, options, payload: full.payload, ...(observe === undefined ? {} : { observe }) });
    return { parts: withObserve(serveBlock(stored, 0, szx, true, undefined, encoding)), blockwise: observe === undefined ? undefined : stored.etag };
  };
}

function hasMoreBlocks(parts: ResponseParts): boolean {
  const raw = optionValue(parts.options, Opt.Block2);
  return raw !== undefined && decodeBlock(raw)?.more === true;
}

function resolveAccessToken(sessions: EndpointSessions, endpoint: CoapEndpoint, sent: string | undefined, remembered: string | undefined): string | undefined {
  if (sent === undefined) return remembered;
  if (sent !== remembered) sessions.rememberToken(endpoint, sent);
  return sent;
}

function errcodeOf(response: EndpointResponse): unknown {
  return jsonObjectBody(response)?.['errcode'];
}

interface FullResponse {
  readonly code: string;
  readonly options: RawOption[];
  readonly payload: Buffer;
}

/** Undefined: a JSON body and an Accept we cannot meet. */
function encodeResponse(response: EndpointResponse, method: string, format: 'cbor' | 'json' | undefined, encoding: BodyEncoding): FullResponse | undefined {
  const code = coapCodeForHttpStatus(response.status);
  const options: RawOption[] = [];
  let payload: Buffer;
  let contentFormat: number;
  if (response.body instanceof Uint8Array) {
    payload = Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength);
    contentFormat = contentFormatForMediaType(headerValue(response.headers, 'content-type'));
  } else {
    if (format === undefined) return undefined;
    const body = encodeJsonBody(response.body, format, encoding.integerKeys);
    payload = body.payload;
    contentFormat = body.contentFormat;
  }
  options.push({ number: Opt.ContentFormat, value: encodeUint(contentFormat) });
  const retry = retryAfterSeconds(response.status, response.body, response.headers);
  if (retry !== undefined) options.push({ number: Opt.MaxAge, value: encodeUint(retry) });
  // A 2.05 is cacheable for 60 s by default (RFC 7252 §5.10.5); Matrix GET answers are not.
  else if (code === '2.05' && method === 'GET') options.push({ number: Opt.MaxAge, value: encodeUint(0) });
  return { code, options, payload };
}

function headerValue(headers: Readonly<Record<string, string>> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

function tooLarge(limit: number, encoding: BodyEncoding): ResponseParts {
  return matrixError(CoapOnly.RequestEntityTooLarge, 'M_TOO_LARGE', `Request body is larger than ${limit} bytes`, encoding, [
    { number: Opt.Size1, value: encodeUint(limit) },
  ]);
}

/** One block of a stored representation, with ETag, Block2 and (on block 0 or when asked) Size2. */
function serveBlock(stored: StoredResponse, num: number, szx: number, withSize2: boolean, extra: readonly RawOption[] | undefined, encoding: BodyEncoding): ResponseParts {
  const size = blockSize(szx);
  const offset = num * size;
  if (offset >= stored.payload.length) {
    return matrixError(CoapOnly.BadOption, 'M_UNKNOWN', `Block ${num} is past the end of the ${stored.payload.length}-byte body`, encoding);
  }
  const end = Math.min(offset + size, stored.payload.length);
  const options: RawOption[] = [
    ...stored.options,
    ...(extra ?? []),
    { number: Opt.ETag, value: stored.etag },
    { number: Opt.Block2, value: encodeBlock({ num, more: end < stored.payload.length, szx }) },
  ];
  if (withSize2 || num === 0) options.push({ number: Opt.Size2, value: encodeUint(stored.payload.length) });
  return { code: stored.code, options, payload: stored.payload.subarray(offset, end) };
}
