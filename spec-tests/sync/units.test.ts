// Pure pieces of the read side: sync tokens, pagination tokens, filters, field projection,
// default push rules.
import { describe, expect, it } from 'vitest';
import { defaultPushRules } from '../../src/core/push-rules/default-rules.js';
import { MatrixError } from '../../src/services/errors.js';
import { parseRoomEventFilter, parseSyncFilter, projectFields, resolveFilterParam } from '../../src/services/sync/filter.js';
import { parseSyncToken, serializeSyncToken, tryParseSyncToken } from '../../src/services/sync/token.js';
import { parsePaginationToken, positionBefore, topoToken } from '../../src/services/timeline/pagination-token.js';

describe('sync tokens', () => {
  it('round-trip and read missing (newer) streams as 0', () => {
    const t = { events: 1042, accountData: 17, receipts: 9, typing: 1732412345678, presence: 33, toDevice: 5, deviceLists: 12 };
    expect(serializeSyncToken(t)).toBe('s1042_17_9_1732412345678_33_5_12');
    expect(parseSyncToken(serializeSyncToken(t))).toEqual(t);
    const zero = { receipts: 0, typing: 0, presence: 0, toDevice: 0, deviceLists: 0 };
    expect(parseSyncToken('s5_1')).toEqual({ events: 5, accountData: 1, ...zero });
    // A token from before to-device and device lists existed.
    expect(parseSyncToken('s1042_17_9_1732412345678_33')).toEqual({ ...t, toDevice: 0, deviceLists: 0 });
    // Trailing zero streams are left out of the text.
    expect(serializeSyncToken({ ...t, toDevice: 0, deviceLists: 0 })).toBe('s1042_17_9_1732412345678_33');
    expect(serializeSyncToken({ events: 7, accountData: 0, ...zero })).toBe('s7');
  });

  it('refuses anything else', () => {
    for (const bad of ['', 's', 'x1_2', 's1__2', 's-1_2', 's1_2_', `s${'9'.repeat(17)}`, 't1_2']) {
      expect(tryParseSyncToken(bad), bad).toBeUndefined();
    }
    expect(() => parseSyncToken('nope')).toThrow(MatrixError);
  });
});

describe('pagination tokens', () => {
  it('are topological positions; sync tokens are accepted too', () => {
    const before = positionBefore({ depth: 7, streamOrdering: 40 });
    expect(topoToken(before)).toBe('t7_39');
    expect(parsePaginationToken('t7_39')).toEqual({ kind: 'topo', pos: { depth: 7, stream: 39 } });
    expect(parsePaginationToken('t3_-5')).toEqual({ kind: 'topo', pos: { depth: 3, stream: -5 } });
    expect(parsePaginationToken('s12_0_0_0_0')).toEqual({ kind: 'stream', stream: 12 });
    expect(() => parsePaginationToken('t1')).toThrow(MatrixError);
  });
});

describe('filters', () => {
  it('match types with wildcards, senders, rooms; not_* win', () => {
    const f = parseRoomEventFilter(JSON.stringify({ types: ['m.room.*', 'org.x'], not_types: ['m.room.member'], not_senders: ['@spam:x'], rooms: ['!a'] }));
    expect(f.matches('m.room.message', '@a:x', '!a')).toBe(true);
    expect(f.matches('org.x', '@a:x', '!a')).toBe(true);
    expect(f.matches('org.xy', '@a:x', '!a')).toBe(false);
    expect(f.matches('m.room.member', '@a:x', '!a')).toBe(false);
    expect(f.matches('m.room.message', '@spam:x', '!a')).toBe(false);
    expect(f.matches('m.room.message', '@a:x', '!b')).toBe(false);
    expect(f.admitsType('m.room.topic')).toBe(true);
    expect(f.admitsType('m.presence')).toBe(false);
  });

  it('contains_url looks at content.url', () => {
    const withUrl = parseRoomEventFilter('{"contains_url": true}');
    expect(withUrl.needsContent).toBe(true);
    expect(withUrl.matches('m.room.message', '@a:x', undefined, { url: 'mxc://x/y' })).toBe(true);
    expect(withUrl.matches('m.room.message', '@a:x', undefined, { body: 'hi' })).toBe(false);
    expect(parseRoomEventFilter('{"contains_url": false}').matches('m.room.message', '@a:x', undefined, { url: 'mxc://x/y' })).toBe(false);
  });

  it('defaults: timeline limit 10, capped; lenient about wrong member types', () => {
    expect(parseSyncFilter(undefined).room.timeline.limit).toBe(10);
    expect(parseSyncFilter({ room: { timeline: { limit: 1_000_000 } } }).room.timeline.limit).toBe(1000);
    const odd = parseSyncFilter({ room: { timeline: { limit: 'ten', types: 'm.room.message' } } });
    expect(odd.room.timeline.limit).toBe(10);
    expect(odd.room.timeline.matches('anything', '@a:x')).toBe(true);
    expect(parseSyncFilter({ presence: { not_types: ['*'] } }).presence.admitsType('m.presence')).toBe(false);
  });

  it('reads the /sync filter parameter as inline JSON or a stored ID', () => {
    const stored = resolveFilterParam('3', (id) => (id === '3' ? { room: { include_leave: true } } : undefined));
    expect(stored.room.includeLeave).toBe(true);
    expect(resolveFilterParam(' {"room":{"include_leave":true}}', () => undefined).room.includeLeave).toBe(true);
    expect(() => resolveFilterParam('4', () => undefined)).toThrow(MatrixError);
    expect(() => resolveFilterParam('{"a":', () => undefined)).toThrow(MatrixError);
    expect(() => resolveFilterParam('[1]', () => undefined)).toThrow(MatrixError);
  });

  it('event_fields keeps only the listed paths, with escaped dots', () => {
    const event = { type: 'm.room.message', content: { body: 'hi', 'm.relates_to': { rel_type: 'm.thread' } }, sender: '@a:x' };
    expect(projectFields(event, ['type', 'content.body'])).toEqual({ type: 'm.room.message', content: { body: 'hi' } });
    expect(projectFields(event, ['content.m\\.relates_to.rel_type'])).toEqual({ content: { 'm.relates_to': { rel_type: 'm.thread' } } });
    expect(projectFields(event, ['missing.path'])).toEqual({});
  });
});

describe('default push rules', () => {
  it('name the user in the rules that mention them, and cover every kind', () => {
    const rules = defaultPushRules('@me:x') as Record<string, { rule_id: string; conditions: { value?: string; pattern?: string }[] }[]>;
    expect(Object.keys(rules).sort()).toEqual(['content', 'override', 'room', 'sender', 'underride']);
    const mention = rules['override']!.find((r) => r.rule_id === '.m.rule.is_user_mention')!;
    expect(mention.conditions[0]!.value).toBe('@me:x');
    expect(rules['override']![0]!.rule_id).toBe('.m.rule.master');
    expect(rules['underride']!.map((r) => r.rule_id)).toContain('.m.rule.message');
  });
});
