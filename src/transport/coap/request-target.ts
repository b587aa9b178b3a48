/**
 * The request target from Uri-Path and Uri-Query (RFC 7252 §6.5).
 *
 * Option values are the already percent-decoded segments, so each is percent-encoded again to
 * build the raw path the dispatcher expects (node-coap's `req.url` joins them unescaped, which
 * breaks a room ID with `/` or `?` in it). A one-character first segment is an MSC3079 path enum.
 */

import { expandPathEnum } from './path-enums.js';
import { Opt, optionValues, type RawOption } from './options.js';

export type RequestTarget =
  | { readonly ok: true; readonly path: string; readonly query: URLSearchParams }
  | { readonly ok: false; readonly status: 400 | 404; readonly errcode: string; readonly error: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function requestTarget(options: readonly RawOption[]): RequestTarget {
  let segments: string[];
  const query = new URLSearchParams();
  try {
    segments = optionValues(options, Opt.UriPath).map((value) => encodeURIComponent(utf8.decode(value)));
    for (const value of optionValues(options, Opt.UriQuery)) {
      const text = utf8.decode(value);
      const eq = text.indexOf('=');
      if (eq < 0) query.append(text, '');
      else query.append(text.slice(0, eq), text.slice(eq + 1));
    }
  } catch {
    return { ok: false, status: 400, errcode: 'M_INVALID_PARAM', error: 'Uri-Path and Uri-Query must be UTF-8' };
  }
  const expansion = expandPathEnum(segments);
  if (expansion.kind === 'expanded') return { ok: true, path: expansion.path, query };
  if (expansion.kind === 'wrong-arity') {
    return {
      ok: false,
      status: 404,
      errcode: 'M_UNRECOGNIZED',
      error: `Path enum /${segments[0] ?? ''} takes ${expansion.expected} parameters, got ${expansion.got}`,
    };
  }
  return { ok: true, path: '/' + segments.join('/'), query };
}
