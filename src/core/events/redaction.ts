import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import type { RedactionRules, RoomVersion } from '../room-versions.js';

/**
 * The redaction algorithm of every room version (content/rooms/fragments/v1-, v6-, v9-, v11-
 * redactions.md and the inline v8 list). Redaction is also what signing and the reference hash
 * (hence event IDs) are computed over, so these lists are consensus-critical: one key too many
 * or too few and we disagree with every other server about signatures and event IDs.
 */

/** An event as JSON: a PDU or a client-format event, possibly with optional members unset. */
export type EventJson = { readonly [key: string]: JsonValue | undefined };

/**
 * Content keys kept for one event type. A dotted entry `a.b` keeps only member `b` of the object
 * `a` (v11: `third_party_invite.signed`); `'all'` keeps the whole content (v11 m.room.create).
 */
type ContentRule = readonly string[] | 'all';

export interface RedactionRuleSet {
  readonly topLevel: readonly string[];
  readonly content: { readonly [eventType: string]: ContentRule };
}

const TOP_LEVEL_V1: readonly string[] = [
  'event_id',
  'type',
  'room_id',
  'sender',
  'state_key',
  'content',
  'hashes',
  'signatures',
  'depth',
  'prev_events',
  'prev_state',
  'auth_events',
  'origin',
  'origin_server_ts',
  'membership',
];

const POWER_LEVELS_V1 = ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default'];

const v1Rules: RedactionRuleSet = {
  topLevel: TOP_LEVEL_V1,
  content: {
    'm.room.member': ['membership'],
    'm.room.create': ['creator'],
    'm.room.join_rules': ['join_rule'],
    'm.room.power_levels': POWER_LEVELS_V1,
    'm.room.aliases': ['aliases'],
    'm.room.history_visibility': ['history_visibility'],
  },
};

// v6: m.room.aliases loses its protection (aliases are no longer room state that matters).
const { 'm.room.aliases': _aliases, ...v6Content } = v1Rules.content;
const v6Rules: RedactionRuleSet = { topLevel: TOP_LEVEL_V1, content: v6Content };

// v8: restricted rooms need join_rules `allow` to survive redaction.
const v8Rules: RedactionRuleSet = {
  topLevel: TOP_LEVEL_V1,
  content: { ...v6Rules.content, 'm.room.join_rules': ['join_rule', 'allow'] },
};

// v9: the authorising server of a restricted join must survive redaction too.
const v9Rules: RedactionRuleSet = {
  topLevel: TOP_LEVEL_V1,
  content: { ...v8Rules.content, 'm.room.member': ['membership', 'join_authorised_via_users_server'] },
};

// v11 (MSC2176/MSC3821/MSC3989): origin, membership and prev_state lose protection; create keeps
// all content; power_levels keeps invite; redaction keeps content.redacts; member keeps
// third_party_invite.signed (needed to re-check the 3pid auth rule on a redacted invite).
const V11_UNPROTECTED = new Set(['origin', 'membership', 'prev_state']);
const v11Rules: RedactionRuleSet = {
  topLevel: TOP_LEVEL_V1.filter((key) => !V11_UNPROTECTED.has(key)),
  content: {
    ...v9Rules.content,
    'm.room.member': ['membership', 'join_authorised_via_users_server', 'third_party_invite.signed'],
    'm.room.create': 'all',
    'm.room.power_levels': [...POWER_LEVELS_V1, 'invite'],
    'm.room.redaction': ['redacts'],
  },
};

export const REDACTION_RULES: { readonly [K in RedactionRules]: RedactionRuleSet } = {
  v1: v1Rules,
  v6: v6Rules,
  v8: v8Rules,
  v9: v9Rules,
  v11: v11Rules,
};

function redactContent(content: JsonValue | undefined, rule: ContentRule | undefined): JsonObject {
  if (!isJsonObject(content) || rule === undefined) return {};
  if (rule === 'all') return { ...content };
  // Rule entries are fixed names (none is __proto__), so plain assignment is safe.
  const out: JsonObject = {};
  for (const entry of rule) {
    const dot = entry.indexOf('.');
    if (dot < 0) {
      if (Object.hasOwn(content, entry)) out[entry] = content[entry]!;
      continue;
    }
    const outer = entry.slice(0, dot);
    const inner = entry.slice(dot + 1);
    const container = Object.hasOwn(content, outer) ? content[outer] : undefined;
    if (!isJsonObject(container) || !Object.hasOwn(container, inner)) continue;
    const kept = isJsonObject(out[outer]) ? out[outer] : (out[outer] = {});
    kept[inner] = container[inner]!;
  }
  return out;
}

/**
 * Redacts an event per its room version: keeps only the protected top-level keys and the
 * protected content keys of its type. Works on PDUs and client-format events alike; `unsigned`
 * is not protected, so it is dropped (see redactClientEvent for what clients get). The result
 * always has a `content` object. Pure: returns a new object, never mutates the input (kept
 * values are shared, not deep-copied).
 */
export function redactEvent(event: EventJson, version: RoomVersion): JsonObject {
  return redactWithRules(event, REDACTION_RULES[version.redaction], true);
}

/**
 * The redaction used for signatures and the reference hash: like redactEvent, but without
 * `signatures` (which neither covers), saving a copy on the verification hot path.
 */
export function redactForSigning(event: EventJson, version: RoomVersion): JsonObject {
  return redactWithRules(event, REDACTION_RULES[version.redaction], false);
}

function redactWithRules(event: EventJson, rules: RedactionRuleSet, keepSignatures: boolean): JsonObject {
  const out: JsonObject = {};
  // As above: fixed key names, plain assignment is safe.
  for (const key of rules.topLevel) {
    if (key === 'content' || (key === 'signatures' && !keepSignatures)) continue;
    if (!Object.hasOwn(event, key)) continue;
    const value = event[key];
    if (value !== undefined) out[key] = value;
  }
  const type = Object.hasOwn(event, 'type') ? event.type : undefined;
  const rule = typeof type === 'string' && Object.hasOwn(rules.content, type) ? rules.content[type] : undefined;
  out.content = redactContent(Object.hasOwn(event, 'content') ? event.content : undefined, rule);
  return out;
}

/** `unsigned` members that say nothing about the redacted content and stay for clients. */
const CLIENT_UNSIGNED_KEPT = ['age', 'age_ts', 'transaction_id', 'membership', 'replaces_state'];

export interface RedactClientEventOptions {
  /** The m.room.redaction event to put in `unsigned.redacted_because`, as the C-S spec asks. */
  readonly redactedBecause?: JsonObject;
}

/**
 * Redacts a client-format event for serving to clients: the room version's rules, plus an
 * `unsigned` that keeps only bookkeeping members (age, transaction_id, ...) and, when given,
 * `redacted_because`. Dropped from unsigned: anything derived from content (prev_content,
 * m.relations, stripped state).
 */
export function redactClientEvent(event: EventJson, version: RoomVersion, options: RedactClientEventOptions = {}): JsonObject {
  const out = redactEvent(event, version);
  const unsigned = Object.hasOwn(event, 'unsigned') ? event.unsigned : undefined;
  const keptUnsigned: JsonObject = {};
  if (isJsonObject(unsigned)) {
    for (const key of CLIENT_UNSIGNED_KEPT) {
      if (Object.hasOwn(unsigned, key)) keptUnsigned[key] = unsigned[key]!;
    }
  }
  if (options.redactedBecause) keptUnsigned.redacted_because = options.redactedBecause;
  if (Object.keys(keptUnsigned).length > 0 || isJsonObject(unsigned)) out.unsigned = keptUnsigned;
  return out;
}
