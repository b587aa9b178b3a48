import { ProtocolError } from './errors.js';
import type { JsonObject, JsonValue } from './json.js';

/**
 * The X-Matrix authorization scheme (server-server API "Request Authentication"): the header's
 * grammar (RFC 9110 §11.4 credentials with auth-params) and the JSON object a request signature
 * covers. Pure: verification against a key happens in the services, which know where keys are.
 */

export interface XMatrixCredentials {
  readonly origin: string;
  /** Absent in requests from older servers; the recipient then assumes itself. */
  readonly destination: string | undefined;
  readonly key: string;
  readonly sig: string;
}

export class XMatrixHeaderError extends ProtocolError {
  override name = 'XMatrixHeaderError';
}

// RFC 9110 §5.6.2 tchar.
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
// For compatibility with older servers the spec asks recipients to accept unquoted values that
// contain colons (`key=ed25519:abc`, `origin=example.org:8448`), which `token` would not allow.
const VALUE_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z:]/;

function isWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

/**
 * Whether a header value uses the X-Matrix scheme (scheme names are case-insensitive). A request
 * may carry other schemes too; only X-Matrix ones are ours.
 */
export function isXMatrixHeader(value: string): boolean {
  return /^x-matrix(?:[ \t]|$)/i.test(value.trimStart());
}

/**
 * Parses `X-Matrix origin="a",destination="b",key="ed25519:k",sig="..."` per RFC 9110:
 * case-insensitive scheme and parameter names, optional whitespace around `=` and commas, empty
 * list elements, quoted strings with backslash escapes. Unknown parameters are ignored;
 * a repeated or missing required parameter is an error.
 */
export function parseXMatrixHeader(value: string): XMatrixCredentials {
  const text = value.trim();
  const scheme = /^x-matrix/i.exec(text);
  if (!scheme) throw new XMatrixHeaderError('not an X-Matrix authorization header');
  let i = scheme[0].length;
  if (i < text.length && !isWhitespace(text[i])) throw new XMatrixHeaderError('expected whitespace after the X-Matrix scheme');

  const params = new Map<string, string>();
  const skipWhitespace = (): void => {
    while (isWhitespace(text[i])) i++;
  };

  skipWhitespace();
  while (i < text.length) {
    // Empty list elements (",,") are allowed by the #rule.
    if (text[i] === ',') {
      i++;
      skipWhitespace();
      continue;
    }
    const nameStart = i;
    while (i < text.length && TCHAR.test(text[i]!)) i++;
    if (i === nameStart) throw new XMatrixHeaderError(`unexpected character ${JSON.stringify(text[i])} at ${i}`);
    const name = text.slice(nameStart, i).toLowerCase();
    skipWhitespace();
    if (text[i] !== '=') throw new XMatrixHeaderError(`expected "=" after parameter ${name}`);
    i++;
    skipWhitespace();

    let paramValue = '';
    if (text[i] === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i]!;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === '\\') {
          const escaped = text[i + 1];
          if (escaped === undefined || !isQuotedPairChar(escaped)) throw new XMatrixHeaderError('bad escape in quoted string');
          paramValue += escaped;
          i += 2;
          continue;
        }
        if (!isQdtext(c)) throw new XMatrixHeaderError('control character in quoted string');
        paramValue += c;
        i++;
      }
      if (!closed) throw new XMatrixHeaderError('unterminated quoted string');
    } else {
      const valueStart = i;
      while (i < text.length && VALUE_CHAR.test(text[i]!)) i++;
      if (i === valueStart) throw new XMatrixHeaderError(`parameter ${name} has no value`);
      paramValue = text.slice(valueStart, i);
    }
    if (params.has(name)) throw new XMatrixHeaderError(`parameter ${name} is repeated`);
    params.set(name, paramValue);

    skipWhitespace();
    if (i < text.length) {
      if (text[i] !== ',') throw new XMatrixHeaderError(`expected "," at ${i}`);
      i++;
      skipWhitespace();
    }
  }

  const origin = params.get('origin');
  const key = params.get('key');
  const sig = params.get('sig');
  if (origin === undefined || origin === '') throw new XMatrixHeaderError('missing origin');
  if (key === undefined || key === '') throw new XMatrixHeaderError('missing key');
  if (sig === undefined || sig === '') throw new XMatrixHeaderError('missing sig');
  const destination = params.get('destination');
  if (destination === '') throw new XMatrixHeaderError('empty destination');
  return { origin, destination, key, sig };
}

function isQdtext(c: string): boolean {
  const code = c.charCodeAt(0);
  return c === '\t' || c === ' ' || code === 0x21 || (code >= 0x23 && code <= 0x5b) || (code >= 0x5d && code <= 0x7e) || code >= 0x80;
}

function isQuotedPairChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return c === '\t' || c === ' ' || (code >= 0x21 && code <= 0x7e) || code >= 0x80;
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Formats the header as the spec recommends for compatibility with older servers: one space
 * after the scheme, lowercase names, no whitespace around commas, values quoted (an origin
 * with a port contains a colon, which is not a token character).
 */
export function formatXMatrixHeader(credentials: Omit<XMatrixCredentials, 'destination'> & { readonly destination: string }): string {
  const { origin, destination, key, sig } = credentials;
  return `X-Matrix origin=${quote(origin)},destination=${quote(destination)},key=${quote(key)},sig=${quote(sig)}`;
}

/**
 * The object whose signature an X-Matrix header carries. `uri` is the request target as sent
 * (path and query, percent-encoded, no scheme or host); `content` is present only when the
 * request has a JSON body.
 */
export function xMatrixSignable(request: {
  readonly method: string;
  readonly uri: string;
  readonly origin: string;
  readonly destination: string;
  readonly content?: JsonValue | undefined;
}): JsonObject {
  const signable: JsonObject = {
    method: request.method,
    uri: request.uri,
    origin: request.origin,
    destination: request.destination,
  };
  if (request.content !== undefined) signable['content'] = request.content;
  return signable;
}
