/**
 * Glob-style matching (spec appendix): `*` matches zero or more characters, `?` exactly one,
 * everything else literally, case-insensitively. `whole` must match the entire value; `word`
 * matches any substring that starts and ends at a word boundary (the start or end of the value,
 * or a character outside [A-Za-z0-9_]), which is how content.body patterns work.
 */

export type GlobMode = 'whole' | 'word';

// The syntax characters: under the `u` flag, escaping anything else (such as `-`) is an error.
const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

function globBody(pattern: string): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '*') out += '.*?';
    else if (ch === '?') out += '.';
    else out += ch.replace(REGEX_SPECIAL, '\\$&');
  }
  return out;
}

export function globToRegExp(pattern: string, mode: GlobMode): RegExp {
  const body = globBody(pattern);
  // `s`: bodies span lines; `u`: `?` is one character, not one UTF-16 unit.
  if (mode === 'whole') return new RegExp(`^${body}$`, 'isu');
  return new RegExp(`(?:^|[^A-Za-z0-9_])${body}(?:[^A-Za-z0-9_]|$)`, 'isu');
}

/**
 * Matches `text` between word boundaries, case-insensitively, with no
 * wildcards: a display name holding `*` or `?` means those characters (Synapse reads it as a
 * glob; the spec says "contains the display name").
 */
export function wordRegExp(text: string): RegExp {
  const escaped = text.replace(REGEX_SPECIAL, '\\$&');
  return new RegExp(`(?:^|[^A-Za-z0-9_])${escaped}(?:[^A-Za-z0-9_]|$)`, 'isu');
}
