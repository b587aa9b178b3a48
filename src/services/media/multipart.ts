import { isJsonObject, type JsonObject } from '../../core/json.js';

/**
 * The multipart/mixed answer of the federation media endpoints (server-server
 * content_repository.yaml), parsed strictly and within bounds: a boundary from the Content-Type
 * (RFC 2046), then exactly two parts: `application/json` metadata (an object), and the media,
 * either its bytes (with Content-Type / Content-Disposition) or a `Location` to fetch it from.
 * The remote chooses every byte here, so anything outside that shape is refused rather than
 * guessed at. Pure: bytes in, a value or a MultipartError out.
 */

export class MultipartError extends Error {
  override name = 'MultipartError';
}

export type MediaPart =
  | { readonly kind: 'bytes'; readonly contentType: string | undefined; readonly contentDisposition: string | undefined; readonly bytes: Uint8Array }
  | { readonly kind: 'location'; readonly location: string };

export interface MediaMultipart {
  readonly metadata: JsonObject;
  readonly media: MediaPart;
}

/** Bounds on what the remote may send around the file itself. */
export const MULTIPART_LIMITS = {
  /** A part's header section (all its lines), CRLFs included. */
  maxHeaderBytes: 8 * 1024,
  maxHeaders: 32,
  /** The JSON metadata part (always `{}` today). */
  maxMetadataBytes: 64 * 1024,
  /** Bytes before the first delimiter (RFC 2046 allows a preamble; nobody needs a long one). */
  maxPreambleBytes: 1024,
} as const;

/** Everything around the media bytes stays under this: the size limit on a whole answer is the file's plus this. */
export const MULTIPART_OVERHEAD_BYTES = MULTIPART_LIMITS.maxPreambleBytes + 2 * MULTIPART_LIMITS.maxHeaderBytes + MULTIPART_LIMITS.maxMetadataBytes + 1024;

const BCHARS = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary parameter of a multipart/mixed Content-Type (quoted or not), or a MultipartError. */
export function boundaryOf(contentType: string | undefined): string {
  if (contentType === undefined) throw new MultipartError('no Content-Type');
  const [type, ...params] = splitParams(contentType);
  if (type!.toLowerCase() !== 'multipart/mixed') throw new MultipartError(`Content-Type is ${type}, not multipart/mixed`);
  let boundary: string | undefined;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq <= 0) throw new MultipartError('malformed Content-Type parameter');
    if (param.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    if (boundary !== undefined) throw new MultipartError('two boundary parameters');
    let value = param.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    boundary = value;
  }
  if (boundary === undefined) throw new MultipartError('Content-Type has no boundary');
  if (!BCHARS.test(boundary)) throw new MultipartError('boundary is not 1 to 70 RFC 2046 characters');
  return boundary;
}

/** Splits `type; a=b; c="d;e"` on the semicolons outside quotes. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted) {
      out.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  if (quoted) throw new MultipartError('unterminated quoted string in Content-Type');
  out.push(current.trim());
  return out;
}

export function parseMediaMultipart(contentType: string | undefined, body: Uint8Array): MediaMultipart {
  const boundary = boundaryOf(contentType);
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const dash = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.concat([CRLF, dash]);

  // The first delimiter may open the body directly or follow a (short) preamble.
  let first: number;
  if (buf.subarray(0, dash.length).equals(dash)) first = 0;
  else {
    const at = buf.indexOf(delimiter);
    if (at < 0) throw new MultipartError('no opening delimiter');
    first = at + CRLF.length;
  }
  if (first > MULTIPART_LIMITS.maxPreambleBytes) throw new MultipartError('preamble too long');

  const json = readPart(buf, afterDelimiter(buf, first + dash.length), delimiter);
  if (json.end.kind !== 'next') throw new MultipartError('only one part');
  const media = readPart(buf, json.end.at, delimiter);
  if (media.end.kind !== 'close') throw new MultipartError('more than two parts');

  const jsonType = json.headers.get('content-type');
  if (jsonType === undefined || splitParams(jsonType)[0]!.toLowerCase() !== 'application/json') {
    throw new MultipartError('the first part is not application/json');
  }
  if (json.body.length > MULTIPART_LIMITS.maxMetadataBytes) throw new MultipartError('metadata part too large');
  let metadata: unknown;
  try {
    metadata = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json.body));
  } catch {
    throw new MultipartError('metadata part is not JSON');
  }
  if (!isJsonObject(metadata)) throw new MultipartError('metadata part is not a JSON object');

  const location = media.headers.get('location');
  if (location !== undefined) {
    if (location === '') throw new MultipartError('empty Location');
    return { metadata, media: { kind: 'location', location } };
  }
  return {
    metadata,
    media: {
      kind: 'bytes',
      contentType: media.headers.get('content-type'),
      contentDisposition: media.headers.get('content-disposition'),
      bytes: new Uint8Array(media.body.buffer, media.body.byteOffset, media.body.byteLength),
    },
  };
}

type PartEnd = { readonly kind: 'next'; readonly at: number } | { readonly kind: 'close' };

interface Part {
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  readonly end: PartEnd;
}

/**
 * After `--boundary`: optional transport padding (spaces, tabs), then CRLF. Returns where the
 * part's headers start.
 */
function afterDelimiter(buf: Buffer, at: number): number {
  let i = at;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09) && i - at < 64) i++;
  if (buf[i] !== 0x0d || buf[i + 1] !== 0x0a) throw new MultipartError('delimiter not followed by CRLF');
  return i + 2;
}

/** One part starting at `start` (its headers), up to the next delimiter. */
function readPart(buf: Buffer, start: number, delimiter: Buffer): Part {
  let headers: Map<string, string>;
  let bodyStart: number;
  if (buf[start] === 0x0d && buf[start + 1] === 0x0a) {
    // No headers at all: the blank line comes first.
    headers = new Map();
    bodyStart = start + 2;
  } else {
    // Searched within the bound only, so a hostile peer's endless header costs no more than that.
    const window = buf.subarray(start, start + MULTIPART_LIMITS.maxHeaderBytes + HEADER_END.length);
    const headerEnd = window.indexOf(HEADER_END);
    if (headerEnd < 0) {
      if (window.length > MULTIPART_LIMITS.maxHeaderBytes) throw new MultipartError('part headers too large');
      throw new MultipartError('part headers not terminated');
    }
    headers = parseHeaders(window.subarray(0, headerEnd));
    bodyStart = start + headerEnd + HEADER_END.length;
  }
  const at = buf.indexOf(delimiter, bodyStart);
  if (at < 0) throw new MultipartError('part not terminated (truncated body)');
  const body = buf.subarray(bodyStart, at);
  const after = at + delimiter.length;
  if (buf[after] === 0x2d && buf[after + 1] === 0x2d) return { headers, body, end: { kind: 'close' } };
  return { headers, body, end: { kind: 'next', at: afterDelimiter(buf, after) } };
}

function parseHeaders(block: Buffer): Map<string, string> {
  const text = block.toString('latin1');
  const lines = text.split('\r\n');
  if (lines.length > MULTIPART_LIMITS.maxHeaders) throw new MultipartError('too many part headers');
  const headers = new Map<string, string>();
  for (const line of lines) {
    // Obsolete line folding and bare control characters have no honest use here.
    if (/^[ \t]/.test(line)) throw new MultipartError('folded header line');
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) throw new MultipartError('control character in a part header');
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError('malformed part header');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new MultipartError('malformed part header name');
    const key = name.toLowerCase();
    if (headers.has(key)) throw new MultipartError(`repeated ${name} header`);
    headers.set(key, line.slice(colon + 1).trim());
  }
  return headers;
}
