import type { JsonValue } from './json.js';
import { ProtocolError } from './errors.js';

/**
 * Canonical JSON (spec appendix "Canonical JSON"): object keys ordered by Unicode code point,
 * no insignificant whitespace, UTF-8 output, and the grammar's escaping (which is exactly what
 * JSON.stringify does for well-formed strings).
 *
 * Numbers must be integers in [-(2^53)+1, 2^53-1]. Room versions 6 and later make that a hard
 * rule (accepting floats or big integers there is how CVE-2025-30355 was exploited), so strict
 * mode is the default; lenient mode serialises such numbers the way V8 prints them, which is
 * what rooms v1-v5 tolerate.
 */
export class CanonicalJsonError extends ProtocolError {
  override name = 'CanonicalJsonError';
  constructor(
    message: string,
    /** JSON path of the offending value, e.g. `content.body` or `prev_events[2]`. */
    readonly path: string,
  ) {
    super(path ? `${message} at ${path}` : message);
  }
}

export interface CanonicalJsonOptions {
  /** Reject floats and out-of-range integers (room v6+ rules). Default true. */
  strict?: boolean;
}

export function canonicalJson(value: unknown, options: CanonicalJsonOptions = {}): string {
  return write(value, options.strict ?? true, '', 0);
}

export function canonicalJsonBytes(value: unknown, options: CanonicalJsonOptions = {}): Buffer {
  return Buffer.from(canonicalJson(value, options), 'utf8');
}

/** Deep nesting is how a hostile peer would try to blow the stack; real events are shallow. */
const MAX_DEPTH = 128;

function write(value: unknown, strict: boolean, path: string, depth: number): string {
  switch (typeof value) {
    case 'string':
      return writeString(value, path);
    case 'number':
      return writeNumber(value, strict, path);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw new CanonicalJsonError('nested too deeply', path);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += write(value[i], strict, `${path}[${i}]`, depth + 1);
        }
        return out + ']';
      }
      const object = value as Record<string, unknown>;
      const keys = sortedKeys(object);
      let out = '{';
      let first = true;
      for (const key of keys) {
        const item = object[key];
        // JSON.stringify drops undefined members; so do we, so a JS object with an optional
        // field left unset canonicalises the same as one without the field.
        if (item === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += writeString(key, path);
        out += ':';
        out += write(item, strict, path ? `${path}.${key}` : key, depth + 1);
      }
      return out + '}';
    }
    default:
      throw new CanonicalJsonError(`${typeof value} is not a JSON value`, path);
  }
}

function writeString(text: string, path: string): string {
  if (!text.isWellFormed()) throw new CanonicalJsonError('lone surrogate in string', path);
  return JSON.stringify(text);
}

function writeNumber(value: number, strict: boolean, path: string): string {
  if (!Number.isFinite(value)) throw new CanonicalJsonError('non-finite number', path);
  if (Number.isSafeInteger(value)) return Object.is(value, -0) ? '0' : String(value);
  if (strict) {
    throw new CanonicalJsonError(
      Number.isInteger(value) ? 'integer outside ±(2^53-1)' : 'number is not an integer',
      path,
    );
  }
  return JSON.stringify(value);
}

/** UTF-16 order equals code-point order unless a key holds a surrogate; sort() is fast otherwise. */
function sortedKeys(object: Record<string, unknown>): string[] {
  const keys = Object.keys(object);
  if (keys.length < 2) return keys;
  let astral = false;
  for (const key of keys) {
    if (/[\uD800-\uDFFF]/.test(key)) {
      astral = true;
      break;
    }
  }
  return astral ? keys.sort(compareCodePoints) : keys.sort();
}

export function compareCodePoints(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

/**
 * Parses JSON text and checks it is canonical-compatible: every number a safe integer in
 * strict mode. Returns the parsed value; throws CanonicalJsonError otherwise.
 */
export function parseCanonicalCompatible(text: string, options: CanonicalJsonOptions = {}): JsonValue {
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text) as JsonValue;
  } catch (err) {
    throw new CanonicalJsonError(`not JSON: ${(err as Error).message}`, '');
  }
  canonicalJson(parsed, options);
  return parsed;
}
