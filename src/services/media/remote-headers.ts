/**
 * What we keep of the headers a remote server sends with its media: the Content-Type (as the
 * remote said, within reason) and the file name of its Content-Disposition (RFC 6266: `filename*`
 * with an RFC 8187 value wins over `filename`). Anything odd is dropped rather than stored: the
 * served headers are rebuilt from these by services/media.ts, with the same safety rules as for
 * our own uploads.
 */

const MAX_CONTENT_TYPE = 255;
const MAX_FILE_NAME = 255;
const MEDIA_TYPE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+(\s*;.*)?$/;

/** The remote's Content-Type if it is a plausible media type, else null (served as octet-stream). */
export function remoteContentType(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > MAX_CONTENT_TYPE || /[\x00-\x1f\x7f]/.test(trimmed) || !MEDIA_TYPE.test(trimmed)) return null;
  return trimmed;
}

/** The file name a Content-Disposition header carries, or null. */
export function fileNameOf(disposition: string | undefined): string | null {
  if (disposition === undefined || disposition.length > 4 * MAX_FILE_NAME + 64) return null;
  const params = parameters(disposition);
  if (!params) return null;
  const extended = params.get('filename*');
  const name = (extended !== undefined ? decodeExtValue(extended) : undefined) ?? params.get('filename');
  if (name === undefined || name === '' || name.length > MAX_FILE_NAME || /[\x00-\x1f\x7f]/.test(name)) return null;
  return name;
}

/** `attachment; filename="a b"; filename*=utf-8''a%20b` → its parameters (lower-case names), or undefined when malformed. */
function parameters(value: string): Map<string, string> | undefined {
  const params = new Map<string, string>();
  let i = value.indexOf(';');
  if (i < 0) return params;
  while (i < value.length) {
    if (value[i] !== ';') return undefined;
    i++;
    while (value[i] === ' ' || value[i] === '\t') i++;
    if (i >= value.length) break;
    const eq = value.indexOf('=', i);
    if (eq < 0) return undefined;
    const name = value.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (value[i] === ' ' || value[i] === '\t') i++;
    let v = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= value.length) return undefined;
        const ch = value[i]!;
        if (ch === '"') {
          i++;
          break;
        }
        if (ch === '\\' && i + 1 < value.length) i++;
        v += value[i];
        i++;
      }
    } else {
      const end = value.indexOf(';', i);
      v = (end < 0 ? value.slice(i) : value.slice(i, end)).trim();
      i = end < 0 ? value.length : end;
    }
    while (value[i] === ' ' || value[i] === '\t') i++;
    if (!params.has(name)) params.set(name, v);
  }
  return params;
}

/** RFC 8187 `charset'lang'pct-encoded`, for UTF-8 and ISO-8859-1; undefined when it cannot be read. */
function decodeExtValue(value: string): string | undefined {
  const m = /^([A-Za-z0-9!#$%&+\-^_`{}~]+)'[A-Za-z0-9-]*'(.*)$/.exec(value);
  if (!m) return undefined;
  const charset = m[1]!.toLowerCase();
  const encoded = m[2]!;
  if (!/^(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-Fa-f]{2})*$/.test(encoded)) return undefined;
  if (charset === 'utf-8') {
    try {
      return decodeURIComponent(encoded);
    } catch {
      return undefined;
    }
  }
  if (charset === 'iso-8859-1') return encoded.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return undefined;
}
