/**
 * A small CoAP client for sensors and for our tests and measurements: Matrix requests as CoAP
 * (MSC3079 path enums, CBOR bodies), protected with OSCORE when given a security context, or
 * carrying the access token in option 256 when not. Block-wise both ways (inner Block options
 * under OSCORE: every block is its own protected exchange with its own sequence number).
 *
 * It is what the README's "For sensor owners" section uses where libcoap 4.3.1 (Debian 12)
 * cannot: that build has no OSCORE. Requests go one at a time, as a sensor's would, so even a
 * zero-length token is unambiguous.
 */

import type { JsonValue } from '../../../core/json.js';
import { OSCORE_OPTION } from '../../../core/oscore/option-classes.js';
import { decodeOscoreOption } from '../../../core/oscore/option-value.js';
import { protectRequest, unprotectResponse } from '../../../core/oscore/protect.js';
import { createSecurityContext, type SecurityContext } from '../../../core/oscore/security-context.js';
import type { SensorCredentials } from '../../../services/oscore/credentials.js';
import { blockSize, decodeBlock, encodeBlock } from '../block-option.js';
import { decodeCborBody, encodeCborBody } from '../cbor-body.js';
import { ClientExchange, type ExchangeOptions, type IncomingResponse } from './exchange.js';
import { encodeUint, Opt, optionValue, type RawOption } from '../options.js';

export type SensorMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
const CODE_OF: Readonly<Record<SensorMethod, string>> = { GET: '0.01', POST: '0.02', PUT: '0.03', DELETE: '0.04' };

export interface SensorClientOptions extends ExchangeOptions {
  /** OSCORE: every request protected, no access token anywhere. */
  readonly oscore?: { readonly context: SecurityContext; readonly firstSequenceNumber?: number };
  /** Plain CoAP: sent in option 256 unless `stickyToken` and it was sent once already. */
  readonly accessToken?: string;
  /** Send the token only on the first request (the server remembers it where that is safe: loopback). */
  readonly stickyToken?: boolean;
  /** Ask for and send MSC3079 integer keys (option 257 = 1 on the first request). */
  readonly integerKeys?: boolean;
  /** Block size exponent for Block1 uploads and preferred Block2 size (default 6 = 1024 bytes). */
  readonly szx?: number;
}

export interface SensorRequest {
  readonly method: SensorMethod;
  /** Uri-Path segments, e.g. ['9', roomId, 'm.room.message', txnId]. */
  readonly path: readonly string[];
  readonly query?: readonly string[];
  /** A JSON value goes as CBOR (Content-Format 60); bytes as they are. */
  readonly body?: JsonValue | Buffer;
  readonly options?: readonly RawOption[];
  /**
   * RFC 7967 No-Response bits (2: no 2.xx, 8: no 4.xx, 16: no 5.xx). With 2 a success is just
   * the server's empty ACK: the reply costs 4 bytes instead of carrying the event ID. The
   * response then has code "0.00".
   */
  readonly noResponse?: number;
}

export interface SensorResponse extends IncomingResponse {
  /** False for an OSCORE error the server could not protect (4.01 "Replay detected" ...). */
  readonly protected: boolean;
  /** The payload as UTF-8 (diagnostics). */
  readonly text: string;
  /** The CBOR payload as a JSON value (undefined when empty or not CBOR). */
  json(): JsonValue | undefined;
}

export class SensorClient {
  private readonly exchange: ClientExchange;
  private sequenceNumber: number;
  private tokenSent = false;
  private keysAsked = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SensorClientOptions) {
    this.exchange = new ClientExchange(options);
    this.sequenceNumber = options.oscore?.firstSequenceNumber ?? 0;
  }

  /** The sensor's side of a context issued by `lattice sensor add`. */
  static fromCredentials(credentials: SensorCredentials, options: Omit<SensorClientOptions, 'host' | 'port' | 'oscore'> & { firstSequenceNumber?: number } = {}): SensorClient {
    const context = createSecurityContext({
      masterSecret: credentials.masterSecret,
      masterSalt: credentials.masterSalt,
      idContext: undefined,
      senderId: credentials.senderId,
      recipientId: credentials.recipientId,
    });
    return new SensorClient({
      ...options,
      host: credentials.coap.host,
      port: credentials.coap.port,
      oscore: { context, ...(options.firstSequenceNumber === undefined ? {} : { firstSequenceNumber: options.firstSequenceNumber }) },
    });
  }

  /** The next Sender Sequence Number; a real sensor persists it (RFC 8613 Appendix B.1.1). */
  get nextSequenceNumber(): number {
    return this.sequenceNumber;
  }

  request(request: SensorRequest): Promise<SensorResponse> {
    const run = this.queue.then(() => this.run(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.exchange.close();
  }

  private async run(request: SensorRequest): Promise<SensorResponse> {
    const base: RawOption[] = [...request.path.map((s) => ({ number: Opt.UriPath, value: Buffer.from(s, 'utf8') })), ...(request.query ?? []).map((q) => ({ number: Opt.UriQuery, value: Buffer.from(q, 'utf8') })), ...(request.options ?? [])];
    if (this.options.integerKeys === true && !this.keysAsked) {
      base.push({ number: Opt.CborKeyVersion, value: encodeUint(1) });
      this.keysAsked = true;
    }
    if (this.options.oscore === undefined && this.options.accessToken !== undefined && !(this.options.stickyToken === true && this.tokenSent)) {
      base.push({ number: Opt.AccessToken, value: Buffer.from(this.options.accessToken, 'utf8') });
      this.tokenSent = true;
    }
    let payload: Buffer = Buffer.alloc(0);
    if (request.body !== undefined) {
      payload = Buffer.isBuffer(request.body) ? request.body : encodeCborBody(request.body, this.options.integerKeys === true);
      base.push({ number: Opt.ContentFormat, value: encodeUint(60) });
    }
    if (request.noResponse !== undefined) base.push({ number: Opt.NoResponse, value: encodeUint(request.noResponse) });
    const quiet = ((request.noResponse ?? 0) & 2) !== 0;
    const szx = this.options.szx ?? 6;
    const size = blockSize(szx);
    const code = CODE_OF[request.method];

    let response: SensorResponse;
    if (payload.length <= size) {
      response = await this.once(code, base, payload, quiet);
    } else {
      // Block1 (RFC 7959 §2.5): each block waits for 2.31 Continue; the last one gets the answer.
      let num = 0;
      for (;;) {
        const offset = num * size;
        const more = offset + size < payload.length;
        response = await this.once(code, [...base, { number: Opt.Block1, value: encodeBlock({ num, more, szx }) }], payload.subarray(offset, offset + size));
        if (!more || response.code !== '2.31') break;
        num++;
      }
    }
    // Block2: fetch the rest of a large answer (served from the server's cache, one ETag).
    const parts: Buffer[] = [response.payload];
    let block2 = decodeBlockOption(response.options, Opt.Block2);
    const withoutBody = base.filter((o) => o.number !== Opt.ContentFormat);
    while (block2 !== undefined && block2.more) {
      const next = await this.once(code, [...withoutBody, { number: Opt.Block2, value: encodeBlock({ num: block2.num + 1, more: false, szx: block2.szx }) }], Buffer.alloc(0));
      if (!next.code.startsWith('2.')) return next;
      parts.push(next.payload);
      block2 = decodeBlockOption(next.options, Opt.Block2);
    }
    return parts.length === 1 ? response : makeResponse({ ...response, payload: Buffer.concat(parts) }, response.protected);
  }

  private async once(code: string, options: readonly RawOption[], payload: Buffer, noResponse = false): Promise<SensorResponse> {
    const sorted = [...options].sort((a, b) => a.number - b.number);
    const oscore = this.options.oscore;
    if (oscore === undefined) return makeResponse(await this.exchange.send({ code, options: sorted, payload, noResponse }), false);
    const { message, binding } = protectRequest(oscore.context, this.sequenceNumber++, { code, options: sorted, payload });
    const outer = await this.exchange.send({ ...message, noResponse });
    if (outer.code === '0.00') return makeResponse(outer, false); // No-Response: the empty ACK
    const raw = optionValue(outer.options, OSCORE_OPTION);
    const header = raw === undefined ? undefined : decodeOscoreOption(raw);
    if (header === undefined) {
      // Only errors may come back unprotected (RFC 8613 §8.2, e.g. 4.01 "Replay detected"); an
      // unprotected success could have been forged by anyone on the path.
      if (outer.code.startsWith('2.')) throw new Error(`unprotected ${outer.code} answer to an OSCORE request`);
      return makeResponse(outer, false);
    }
    const inner = unprotectResponse(oscore.context, binding, header, outer);
    if (inner === undefined) throw new Error('OSCORE response did not verify');
    return makeResponse(inner, true);
  }
}

function decodeBlockOption(options: readonly RawOption[], number: number): ReturnType<typeof decodeBlock> {
  const raw = optionValue(options, number);
  return raw === undefined ? undefined : decodeBlock(raw);
}

function makeResponse(response: IncomingResponse, isProtected: boolean): SensorResponse {
  return {
    ...response,
    protected: isProtected,
    text: response.payload.toString('utf8'),
    json: () => {
      if (response.payload.length === 0) return undefined;
      try {
        return decodeCborBody(response.payload).value;
      } catch {
        return undefined;
      }
    },
  };
}
