/**
 * MSC3079 Appendix B, version 1: one-character CoAP path enums.
 *
 * The short form is `/<enum>/<param1>/<param2>...` with the template's `{params}` filled left to
 * right. The MSC defines r0 paths only; we serve them on our v3 endpoints (every one of these
 * exists unchanged under v3). Kept as data (identical to matrix-org/lb's coap_paths_v1.go);
 * spec-tests/coap/tables.test.ts checks it equals the reference copy exactly.
 */

export const COAP_PATH_ENUM_VERSION = 1;

/** enum → path template, exactly as the MSC lists it (r0). */
export const PATH_ENUMS_V1: ReadonlyMap<string, string> = new Map([
  ["0", "/_matrix/client/versions"],
  ["1", "/_matrix/client/r0/login"],
  ["2", "/_matrix/client/r0/capabilities"],
  ["3", "/_matrix/client/r0/logout"],
  ["4", "/_matrix/client/r0/register"],
  ["5", "/_matrix/client/r0/user/{userId}/filter"],
  ["6", "/_matrix/client/r0/user/{userId}/filter/{filterId}"],
  ["7", "/_matrix/client/r0/sync"],
  ["8", "/_matrix/client/r0/rooms/{roomId}/state/{eventType}/{stateKey}"],
  ["9", "/_matrix/client/r0/rooms/{roomId}/send/{eventType}/{txnId}"],
  ["A", "/_matrix/client/r0/rooms/{roomId}/event/{eventId}"],
  ["B", "/_matrix/client/r0/rooms/{roomId}/state"],
  ["C", "/_matrix/client/r0/rooms/{roomId}/members"],
  ["D", "/_matrix/client/r0/rooms/{roomId}/joined_members"],
  ["E", "/_matrix/client/r0/rooms/{roomId}/messages"],
  ["F", "/_matrix/client/r0/rooms/{roomId}/redact/{eventId}/{txnId}"],
  ["G", "/_matrix/client/r0/createRoom"],
  ["H", "/_matrix/client/r0/directory/room/{roomAlias}"],
  ["I", "/_matrix/client/r0/joined_rooms"],
  ["J", "/_matrix/client/r0/rooms/{roomId}/invite"],
  ["K", "/_matrix/client/r0/rooms/{roomId}/join"],
  ["L", "/_matrix/client/r0/join/{roomIdOrAlias}"],
  ["M", "/_matrix/client/r0/rooms/{roomId}/leave"],
  ["N", "/_matrix/client/r0/rooms/{roomId}/forget"],
  ["O", "/_matrix/client/r0/rooms/{roomId}/kick"],
  ["P", "/_matrix/client/r0/rooms/{roomId}/ban"],
  ["Q", "/_matrix/client/r0/rooms/{roomId}/unban"],
  ["R", "/_matrix/client/r0/directory/list/room/{roomId}"],
  ["S", "/_matrix/client/r0/publicRooms"],
  ["T", "/_matrix/client/r0/user_directory/search"],
  ["U", "/_matrix/client/r0/profile/{userId}/displayname"],
  ["V", "/_matrix/client/r0/profile/{userId}/avatar_url"],
  ["W", "/_matrix/client/r0/profile/{userId}"],
  ["X", "/_matrix/client/r0/voip/turnServer"],
  ["Y", "/_matrix/client/r0/rooms/{roomId}/typing/{userId}"],
  ["Z", "/_matrix/client/r0/rooms/{roomId}/receipt/{receiptType}/{eventId}"],
  ["a", "/_matrix/client/r0/rooms/{roomId}/read_markers"],
  ["b", "/_matrix/client/r0/presence/{userId}/status"],
  ["c", "/_matrix/client/r0/sendToDevice/{eventType}/{txnId}"],
  ["d", "/_matrix/client/r0/devices"],
  ["e", "/_matrix/client/r0/devices/{deviceId}"],
  ["f", "/_matrix/client/r0/delete_devices"],
  ["g", "/_matrix/client/r0/keys/upload"],
  ["h", "/_matrix/client/r0/keys/query"],
  ["i", "/_matrix/client/r0/keys/claim"],
  ["j", "/_matrix/client/r0/keys/changes"],
  ["k", "/_matrix/client/r0/pushers"],
  ["l", "/_matrix/client/r0/pushers/set"],
  ["m", "/_matrix/client/r0/notifications"],
  ["n", "/_matrix/client/r0/pushrules/"],
  ["o", "/_matrix/client/r0/search"],
  ["p", "/_matrix/client/r0/user/{userId}/rooms/{roomId}/tags"],
  ["q", "/_matrix/client/r0/user/{userId}/rooms/{roomId}/tags/{tag}"],
  ["r", "/_matrix/client/r0/user/{userId}/account_data/{type}"],
  ["s", "/_matrix/client/r0/user/{userId}/rooms/{roomId}/account_data/{type}"],
  ["t", "/_matrix/client/r0/rooms/{roomId}/context/{eventId}"],
  ["u", "/_matrix/client/r0/rooms/{roomId}/report/{eventId}"],
]);

const R0_PREFIX = '/_matrix/client/r0/';
const V3_PREFIX = '/_matrix/client/v3/';

interface CompiledTemplate {
  /** Literal pieces between parameters: pieces.length === paramCount + 1. */
  readonly pieces: readonly string[];
  readonly paramCount: number;
}

function compile(template: string): CompiledTemplate {
  const v3 = template.startsWith(R0_PREFIX) ? V3_PREFIX + template.slice(R0_PREFIX.length) : template;
  const pieces = v3.split(/\{[^}]+\}/);
  return { pieces, paramCount: pieces.length - 1 };
}

const COMPILED: ReadonlyMap<string, CompiledTemplate> = new Map(
  [...PATH_ENUMS_V1].map(([enumChar, template]) => [enumChar, compile(template)]),
);

export type EnumExpansion =
  | { readonly kind: 'not-an-enum' }
  | { readonly kind: 'expanded'; readonly path: string }
  | { readonly kind: 'wrong-arity'; readonly expected: number; readonly got: number };

/**
 * Expands a short path. `segments` are the Uri-Path segments already percent-encoded for
 * dispatch. A full Matrix path always starts with a multi-character segment (`_matrix`,
 * `.well-known`, `_synapse`), so a one-character first segment is unambiguously an enum.
 */
export function expandPathEnum(segments: readonly string[]): EnumExpansion {
  const first = segments[0];
  if (first === undefined || first.length !== 1) return { kind: 'not-an-enum' };
  const compiled = COMPILED.get(first);
  if (compiled === undefined) return { kind: 'not-an-enum' };
  const params = segments.slice(1);
  if (params.length !== compiled.paramCount) {
    return { kind: 'wrong-arity', expected: compiled.paramCount, got: params.length };
  }
  let path = compiled.pieces[0] ?? '';
  for (let i = 0; i < params.length; i++) path += (params[i] ?? '') + (compiled.pieces[i + 1] ?? '');
  return { kind: 'expanded', path };
}
