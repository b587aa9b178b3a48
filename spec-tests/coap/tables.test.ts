// Our MSC3079 and status tables are data in src/ (the product never reads ../shared at run
// time); these tests hold them to the reference copies in shared/reference, exactly.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CBOR_INT_TO_KEY, CBOR_KEY_TO_INT } from '../../src/transport/coap/cbor-keys.js';
import { coapCodeForHttpStatus, HTTP_TO_COAP } from '../../src/transport/coap/codes.js';
import { expandPathEnum, PATH_ENUMS_V1 } from '../../src/transport/coap/path-enums.js';

const referenceDir = fileURLToPath(new URL('../../../shared/reference/', import.meta.url));
function reference<T>(name: string): T {
  return JSON.parse(readFileSync(referenceDir + name, 'utf8')) as T;
}

describe('MSC3079 tables equal the reference', () => {
  it('CBOR integer keys v1: all 104, same numbers', () => {
    const ref = reference<{ version: number; keys: Record<string, number> }>('msc3079-cbor-keys-v1.json');
    expect(ref.version).toBe(1);
    expect(Object.fromEntries(CBOR_KEY_TO_INT)).toEqual(ref.keys);
    expect(CBOR_KEY_TO_INT.size).toBe(104);
    expect(CBOR_INT_TO_KEY.size).toBe(104);
    for (const [key, int] of Object.entries(ref.keys)) expect(CBOR_INT_TO_KEY.get(int)).toBe(key);
  });

  it('path enums v1: all 57, same templates', () => {
    const ref = reference<{ version: number; paths: Record<string, string> }>('msc3079-paths-v1.json');
    expect(ref.version).toBe(1);
    expect(Object.fromEntries(PATH_ENUMS_V1)).toEqual(ref.paths);
    expect(PATH_ENUMS_V1.size).toBe(57);
  });

  it('HTTP → CoAP status map and its fallbacks', () => {
    const ref = reference<{ http_to_coap: Record<string, string>; fallback: Record<string, string> }>('coap-status-map-proposal.json');
    expect(Object.fromEntries([...HTTP_TO_COAP].map(([status, code]) => [String(status), code]))).toEqual(ref.http_to_coap);
    expect(coapCodeForHttpStatus(418)).toBe(ref.fallback['4xx']);
    expect(coapCodeForHttpStatus(507)).toBe(ref.fallback['5xx']);
  });
});

describe('path enum expansion onto v3', () => {
  it('fills parameters left to right', () => {
    expect(expandPathEnum(['9', '!r%3Ax', 'm.room.message', 't1'])).toEqual({
      kind: 'expanded',
      path: '/_matrix/client/v3/rooms/!r%3Ax/send/m.room.message/t1',
    });
    expect(expandPathEnum(['q', '%40u%3Ax', '!r%3Ax', 'u.work'])).toEqual({
      kind: 'expanded',
      path: '/_matrix/client/v3/user/%40u%3Ax/rooms/!r%3Ax/tags/u.work',
    });
  });

  it('keeps /versions unversioned and the pushrules trailing slash', () => {
    expect(expandPathEnum(['0'])).toEqual({ kind: 'expanded', path: '/_matrix/client/versions' });
    expect(expandPathEnum(['7'])).toEqual({ kind: 'expanded', path: '/_matrix/client/v3/sync' });
    expect(expandPathEnum(['n'])).toEqual({ kind: 'expanded', path: '/_matrix/client/v3/pushrules/' });
  });

  it('an empty last segment is an empty state key', () => {
    expect(expandPathEnum(['8', '!r%3Ax', 'm.room.name', ''])).toEqual({
      kind: 'expanded',
      path: '/_matrix/client/v3/rooms/!r%3Ax/state/m.room.name/',
    });
  });

  it('rejects the wrong number of parameters, ignores full paths', () => {
    expect(expandPathEnum(['9', '!r%3Ax'])).toEqual({ kind: 'wrong-arity', expected: 3, got: 1 });
    expect(expandPathEnum(['_matrix', 'client', 'versions'])).toEqual({ kind: 'not-an-enum' });
    expect(expandPathEnum(['v'])).toEqual({ kind: 'not-an-enum' });
    expect(expandPathEnum([])).toEqual({ kind: 'not-an-enum' });
  });
});
