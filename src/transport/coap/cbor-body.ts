/**
 * CBOR ↔ JSON values for Matrix bodies, with MSC3079's integer keys.
 *
 * cbor-x defaults are wrong for us (measured): plain `decode()` turns integer map keys into
 * strings (so `8` and `"8"` collide), and the default Encoder emits a non-standard record
 * extension and tags Maps (259) and byte arrays (64). So: decode with `mapsAsObjects: false`
 * (every map is a Map, keys keep their CBOR type) and convert to JSON ourselves; encode with
 * records and those tags off, minimal map length headers.
 *
 * Rules (MSC3079 §JSON → CBOR): integer keys are optional; an integer key from the table
 * expands to its string key, but if the same map also has that string key, the string key wins;
 * a string such as "8" is never expanded; values are never enumerated. Keys are compacted in
 * responses only for clients that asked (option 257) or used integer keys themselves.
 */

import { Decoder, Encoder } from 'cbor-x';
import type { JsonObject, JsonValue } from '../../core/json.js';
import { CBOR_INT_TO_KEY, CBOR_KEY_TO_INT } from './cbor-keys.js';

const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });
// mapsAsObjects: false on the encoder is what turns off tag 259 on Maps (cbor-x encode.js).
const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: false,
  tagUint8Array: false,
  variableMapSize: true,
  pack: false,
});

/** Deeper than any sane Matrix body; stops stack exhaustion on hostile input. */
const MAX_DEPTH = 128;

export class CborBodyError extends Error {
  override name = 'CborBodyError';
  constructor(
    /** M_NOT_JSON: not CBOR at all; M_BAD_JSON: CBOR, but not something JSON can carry. */
    readonly errcode: 'M_NOT_JSON' | 'M_BAD_JSON',
    message: string,
  ) {
    super(message);
  }
}

export interface DecodedCbor {
  readonly value: JsonValue;
  /** The client used integer keys, so it understands them (MSC3079: version 1 is then assumed). */
  readonly usedIntegerKeys: boolean;
}

export function decodeCborBody(payload: Uint8Array): DecodedCbor {
  let raw: unknown;
  try {
    raw = decoder.decode(payload);
  } catch (error) {
    throw new CborBodyError('M_NOT_JSON', `Body is not valid CBOR: ${(error as Error).message}`);
  }
  // Every CBOR item takes at least one byte, so a tree with more nodes than the payload has
  // bytes was built from shared references (tags 28/29): refuse that amplification.
  const state: WalkState = { usedIntegerKeys: false, nodesLeft: payload.length };
  const value = toJson(raw, 0, state);
  return { value, usedIntegerKeys: state.usedIntegerKeys };
}

interface WalkState {
  usedIntegerKeys: boolean;
  nodesLeft: number;
}

function toJson(raw: unknown, depth: number, state: WalkState): JsonValue {
  if (depth > MAX_DEPTH) throw new CborBodyError('M_BAD_JSON', 'Body is nested too deeply');
  if (--state.nodesLeft < 0) throw new CborBodyError('M_BAD_JSON', 'Body expands beyond its size');
  if (raw === null || typeof raw === 'string' || typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) throw new CborBodyError('M_BAD_JSON', 'NaN and Infinity are not JSON');
    return raw;
  }
  if (typeof raw === 'bigint') {
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) throw new CborBodyError('M_BAD_JSON', 'Integer out of range');
    return n;
  }
  if (Array.isArray(raw)) return raw.map((item: unknown) => toJson(item, depth + 1, state));
  if (raw instanceof Map) return mapToObject(raw, depth, state);
  // undefined, byte strings, tags (dates, records...): nothing JSON can say.
  throw new CborBodyError('M_BAD_JSON', 'Body holds a CBOR item that has no JSON equivalent');
}

function mapToObject(map: Map<unknown, unknown>, depth: number, state: WalkState): JsonObject {
  const object: JsonObject = {};
  const fromString = new Set<string>();
  for (const [rawKey, rawValue] of map) {
    let key: string;
    let isStringKey: boolean;
    if (typeof rawKey === 'string') {
      key = rawKey;
      isStringKey = true;
    } else if (typeof rawKey === 'number' && Number.isInteger(rawKey)) {
      const expanded = CBOR_INT_TO_KEY.get(rawKey);
      if (expanded === undefined) throw new CborBodyError('M_BAD_JSON', `Unknown integer key ${rawKey}`);
      state.usedIntegerKeys = true;
      key = expanded;
      isStringKey = false;
    } else {
      throw new CborBodyError('M_BAD_JSON', 'Map keys must be strings or integer keys from the table');
    }
    if (!isStringKey && fromString.has(key)) continue; // the string key wins
    if (isStringKey) fromString.add(key);
    setOwn(object, key, toJson(rawValue, depth + 1, state));
  }
  return object;
}

/** Plain assignment of "__proto__" would change the prototype instead of adding a key. */
function setOwn(object: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/** Encodes a JSON value as CBOR, with table keys as integers when `integerKeys`. */
export function encodeCborBody(value: JsonValue, integerKeys: boolean): Buffer {
  return encoder.encode(integerKeys ? compact(value) : value);
}

type CompactValue = null | boolean | number | string | CompactValue[] | Map<string | number, CompactValue>;

function compact(value: JsonValue): CompactValue {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(compact);
  const map = new Map<string | number, CompactValue>();
  for (const [key, item] of Object.entries(value)) map.set(CBOR_KEY_TO_INT.get(key) ?? key, compact(item));
  return map;
}
