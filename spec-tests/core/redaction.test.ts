import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTION_RULES, redactClientEvent, redactEvent } from '../../src/core/events/redaction.js';
import type { JsonObject, JsonValue } from '../../src/core/json.js';
import { requireRoomVersion, SUPPORTED_ROOM_VERSIONS, type RedactionRules } from '../../src/core/room-versions.js';
import { loadVector } from './spec-vectors.js';

interface RuleSet {
  room_versions: string[];
  keep_top_level: string[];
  keep_content: { [type: string]: string[] | '*ALL*' };
}

const data = loadVector<{ rules: { [name: string]: RuleSet }; by_room_version: { [version: string]: string } }>(
  'redaction-rules.json',
);
const ruleNames = Object.keys(data.rules) as RedactionRules[];

// Every key any rule set mentions, plus keys none keeps: built events carry all of them so each
// version has something to strip.
const allTopLevel = [...new Set(Object.values(data.rules).flatMap((r) => r.keep_top_level))];
const extraTopLevel = ['unsigned', 'redacts', 'age_ts', 'origin', 'membership', 'prev_state', 'custom'];
const allTypes = [...new Set(Object.values(data.rules).flatMap((r) => Object.keys(r.keep_content)))];
const unlistedTypes = ['m.room.message', 'm.room.topic', 'm.room.name', 'm.room.third_party_invite', 'm.room.encrypted'];

function contentKeysFor(type: string): string[] {
  const keys = new Set(['body', 'custom', 'creator', 'membership']);
  for (const rules of Object.values(data.rules)) {
    const kept = rules.keep_content[type];
    if (Array.isArray(kept)) for (const k of kept) keys.add(k.split('.')[0]!);
  }
  return [...keys];
}

function buildEvent(type: string): JsonObject {
  const event: JsonObject = {};
  for (const key of [...allTopLevel, ...extraTopLevel]) event[key] = `top:${key}`;
  event.type = type;
  event.signatures = { 'example.org': { 'ed25519:1': 'sig' } };
  event.hashes = { sha256: 'hash' };
  event.unsigned = { age: 5 };
  const content: JsonObject = {};
  for (const key of contentKeysFor(type)) content[key] = `content:${key}`;
  content.third_party_invite = { signed: { token: 't', mxid: '@a:b' }, display_name: 'secret' };
  event.content = content;
  return event;
}

describe('redaction: rule tables equal redaction-rules.json', () => {
  for (const name of ruleNames) {
    it(`rule set ${name}`, () => {
      const ours = REDACTION_RULES[name];
      const theirs = data.rules[name]!;
      expect([...ours.topLevel].sort()).toEqual([...theirs.keep_top_level].sort());
      const ourContent = Object.fromEntries(
        Object.entries(ours.content).map(([type, rule]) => [type, rule === 'all' ? '*ALL*' : [...rule].sort()]),
      );
      const theirContent = Object.fromEntries(
        Object.entries(theirs.keep_content).map(([type, rule]) => [type, rule === '*ALL*' ? rule : [...rule].sort()]),
      );
      expect(ourContent).toEqual(theirContent);
    });
  }

  it('room versions map to the listed rule sets', () => {
    for (const id of SUPPORTED_ROOM_VERSIONS) expect(requireRoomVersion(id).redaction).toBe(data.by_room_version[id]);
  });
});

describe('redaction: exactly the listed keys survive', () => {
  for (const id of SUPPORTED_ROOM_VERSIONS) {
    const version = requireRoomVersion(id);
    const rules = data.rules[data.by_room_version[id]!]!;
    for (const type of [...allTypes, ...unlistedTypes]) {
      it(`room v${id} ${type}`, () => {
        const event = buildEvent(type);
        const snapshot = JSON.stringify(event);
        const redacted = redactEvent(event, version);
        expect(JSON.stringify(event)).toBe(snapshot);

        expect(Object.keys(redacted).sort()).toEqual([...rules.keep_top_level].sort());
        for (const key of rules.keep_top_level) if (key !== 'content') expect(redacted[key]).toEqual(event[key]);

        const original = event.content as JsonObject;
        const kept = rules.keep_content[type];
        if (kept === '*ALL*') {
          expect(redacted.content).toEqual(original);
          return;
        }
        const expected: JsonObject = {};
        for (const entry of kept ?? []) {
          const [outer, inner] = entry.split('.') as [string, string | undefined];
          if (inner === undefined) expected[outer] = original[outer]!;
          else expected[outer] = { [inner]: (original[outer] as JsonObject)[inner]! };
        }
        expect(redacted.content).toEqual(expected);
      });
    }
  }
});

describe('redaction: edge cases', () => {
  const v11 = requireRoomVersion('11');
  const v1 = requireRoomVersion('1');

  it('v11 third_party_invite without signed, or not an object, is dropped', () => {
    for (const tpi of [{ display_name: 'x' }, 'x', null, ['signed']] as JsonValue[]) {
      const redacted = redactEvent({ type: 'm.room.member', content: { membership: 'invite', third_party_invite: tpi } }, v11);
      expect(redacted.content).toEqual({ membership: 'invite' });
    }
  });

  it('missing or non-object content becomes {}', () => {
    expect(redactEvent({ type: 'm.room.member' }, v1).content).toEqual({});
    expect(redactEvent({ type: 'm.room.create', content: 'x' }, v11).content).toEqual({});
    expect(redactEvent({ content: { a: 1 } }, v11).content).toEqual({});
  });

  it('does not read inherited properties', () => {
    const content = Object.create({ membership: 'join' }) as JsonObject;
    expect(redactEvent({ type: 'm.room.member', content }, v1).content).toEqual({});
    expect(redactEvent({ type: 'toString', content: { a: 1 } }, v1).content).toEqual({});
  });

  it('v1-v10 strip top-level redacts; v11 keeps content.redacts', () => {
    const redaction = { type: 'm.room.redaction', redacts: '$x', content: { redacts: '$x', reason: 'spam' } };
    expect(redactEvent(redaction, v1)).toEqual({ type: 'm.room.redaction', content: {} });
    expect(redactEvent(redaction, v11)).toEqual({ type: 'm.room.redaction', content: { redacts: '$x' } });
  });

  it('client form keeps bookkeeping unsigned members and adds redacted_because', () => {
    const because = { type: 'm.room.redaction', event_id: '$r', content: {} };
    const clientEvent = {
      event_id: '$e',
      type: 'm.room.message',
      room_id: '!r:x',
      sender: '@a:x',
      origin_server_ts: 5,
      content: { body: 'secret' },
      unsigned: { age: 10, transaction_id: 't', prev_content: { body: 'old' }, 'm.relations': {} },
    };
    expect(redactClientEvent(clientEvent, v11, { redactedBecause: because })).toEqual({
      event_id: '$e',
      type: 'm.room.message',
      room_id: '!r:x',
      sender: '@a:x',
      origin_server_ts: 5,
      content: {},
      unsigned: { age: 10, transaction_id: 't', redacted_because: because },
    });
    const { unsigned: _u, ...bare } = clientEvent;
    expect(redactClientEvent(bare, v11)).not.toHaveProperty('unsigned');
    expect(redactEvent(clientEvent, v11)).not.toHaveProperty('unsigned');
  });
});

// --- properties ---

const versions = SUPPORTED_ROOM_VERSIONS.map(requireRoomVersion);
const keyPool = [...allTopLevel, ...extraTopLevel, 'content', 'x'];
const contentKeyPool = [...new Set(allTypes.flatMap(contentKeysFor)), 'third_party_invite', 'redacts', 'allow', 'invite'];
const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.maxSafeInteger(), fc.string({ maxLength: 5 }));
const value: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.constantFrom('signed', 'token', 'x'), fc.string({ maxLength: 3 })), tie('v'), { maxKeys: 3 }),
  ),
})).v;
const content = fc.dictionary(fc.oneof(fc.constantFrom(...contentKeyPool), fc.string({ maxLength: 4 })), value, { maxKeys: 8 });
const arbitraryEvent = fc
  .record({
    fields: fc.dictionary(fc.oneof(fc.constantFrom(...keyPool), fc.string({ maxLength: 4 })), value, { maxKeys: 10 }),
    type: fc.oneof(fc.constantFrom(...allTypes, ...unlistedTypes), fc.string({ maxLength: 4 })),
    content: fc.oneof(content, value),
  })
  .map(({ fields, type, content: c }) => ({ ...fields, type, content: c }) as JsonObject);

describe('redaction: properties', () => {
  it('is idempotent in every room version', () => {
    fc.assert(
      fc.property(fc.constantFrom(...versions), arbitraryEvent, (version, event) => {
        const once = redactEvent(event, version);
        expect(redactEvent(once, version)).toEqual(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('never keeps a key outside the rule set, and never mutates its input', () => {
    fc.assert(
      fc.property(fc.constantFrom(...versions), arbitraryEvent, (version, event) => {
        const snapshot = JSON.stringify(event);
        const redacted = redactEvent(event, version);
        expect(JSON.stringify(event)).toBe(snapshot);
        const rules = data.rules[version.redaction]!;
        for (const key of Object.keys(redacted)) expect(rules.keep_top_level).toContain(key);
        const kept = rules.keep_content[redacted.type as string];
        const contentKeys = Object.keys(redacted.content as JsonObject);
        if (kept === '*ALL*') return;
        const allowed = (kept ?? []).map((k) => k.split('.')[0]);
        for (const key of contentKeys) expect(allowed).toContain(key);
        const tpi = (redacted.content as JsonObject).third_party_invite;
        if (tpi !== undefined) expect(Object.keys(tpi as JsonObject)).toEqual(['signed']);
      }),
      { numRuns: 1000 },
    );
  });
});
