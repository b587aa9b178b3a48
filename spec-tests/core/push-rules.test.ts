// The push rule evaluator (src/core/push-rules): conditions, rule kinds and order, actions, and
// the server-default rules, mostly on the spec's own examples ("Push Rules", "Conditions").
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { memberCountMatches } from '../../src/core/push-rules/conditions.js';
import { defaultPushRules } from '../../src/core/push-rules/default-rules.js';
import { outcomeOf, PushEvaluator, type PushEventInput } from '../../src/core/push-rules/evaluator.js';
import { globToRegExp } from '../../src/core/push-rules/glob.js';
import { splitPropertyPath } from '../../src/core/push-rules/property-path.js';
import { actionsProblem, buildRuleset } from '../../src/core/push-rules/ruleset.js';
import type { PushRule, PushRuleset } from '../../src/core/push-rules/types.js';

const ME = '@alice:example.org';
const OTHER = '@bob:example.org';
const ROOM = '!room:example.org';

function input(event: JsonObject, extra: Partial<PushEventInput> = {}): PushEventInput {
  return {
    event: { room_id: ROOM, sender: OTHER, event_id: '$e', ...event },
    roomMemberCount: 5,
    senderPowerLevel: 0,
    notificationLevel: () => 50,
    ...extra,
  };
}

function message(content: JsonObject, extra: JsonObject = {}): JsonObject {
  return { type: 'm.room.message', content: { msgtype: 'm.text', ...content }, ...extra };
}

const recipient = (displayName?: string) => ({ userId: ME, displayName: () => displayName });

function onlyRule(kind: keyof PushRuleset, rule: Partial<PushRule>): PushRuleset {
  const full: PushRule = { rule_id: 'test', default: false, enabled: true, actions: ['notify'], ...rule };
  return { override: [], content: [], room: [], sender: [], underride: [], [kind]: [full] };
}

/** Whether a single override rule with these conditions matches the event. */
function conditionMatches(conditions: JsonObject[], event: JsonObject, extra: Partial<PushEventInput> = {}, displayName?: string): boolean {
  return new PushEvaluator(input(event, extra)).evaluate(onlyRule('override', { conditions }), recipient(displayName)).notify;
}

/** What the default rules decide for ME. */
function defaults(event: JsonObject, extra: Partial<PushEventInput> = {}, displayName = 'Alice') {
  return new PushEvaluator(input(event, extra)).evaluate(defaultPushRules(ME), recipient(displayName));
}

describe('glob patterns', () => {
  it('* matches zero or more characters, ? exactly one, case-insensitively', () => {
    const lunch = globToRegExp('lunc?*', 'whole');
    expect(lunch.test('Lunch plans')).toBe(true);
    expect(lunch.test('LUNCH')).toBe(true);
    expect(lunch.test(' lunch')).toBe(false);
    expect(lunch.test('lunc')).toBe(false);
  });
  it('treats regex characters literally', () => {
    expect(globToRegExp('a.b', 'whole').test('axb')).toBe(false);
    expect(globToRegExp('a.b', 'whole').test('a.b')).toBe(true);
    expect(globToRegExp('(x)+[y]', 'whole').test('(x)+[y]')).toBe(true);
    expect(globToRegExp('a-b/c\\d{1}|$^', 'whole').test('A-B/c\\d{1}|$^')).toBe(true);
  });
  it('word mode matches between word boundaries', () => {
    const ex = globToRegExp('ex*ple', 'word');
    expect(ex.test('An example event.')).toBe(true);
    expect(ex.test('exple')).toBe(true);
    expect(ex.test('An exciting triple-whammy')).toBe(true);
    expect(ex.test('examples')).toBe(false);
    expect(globToRegExp('cake', 'word').test('pancake')).toBe(false);
    expect(globToRegExp('cake', 'word').test('a_cake')).toBe(false);
    expect(globToRegExp('cake', 'word').test('cake!')).toBe(true);
  });
});

describe('dot-separated property paths', () => {
  it('splits on dots and keeps escaped dots and backslashes', () => {
    expect(splitPropertyPath('content.body')).toEqual(['content', 'body']);
    expect(splitPropertyPath('content.m\\.mentions.user_ids')).toEqual(['content', 'm.mentions', 'user_ids']);
    expect(splitPropertyPath('content.a\\\\b')).toEqual(['content', 'a\\b']);
    expect(splitPropertyPath('content.a\\b')).toEqual(['content', 'a\\b']);
    expect(splitPropertyPath('m\\.foo\\\\.bar')).toEqual(['m.foo\\', 'bar']);
  });
});

describe('event_match', () => {
  const topic = (value: unknown) => ({ type: 'm.room.topic', state_key: '', content: { topic: value } as JsonObject });
  const cond = [{ kind: 'event_match', key: 'content.topic', pattern: 'lunc?*' }];
  it('matches the whole value (spec example)', () => {
    expect(conditionMatches(cond, topic('Lunch plans'))).toBe(true);
    expect(conditionMatches(cond, topic('LUNCH'))).toBe(true);
    expect(conditionMatches(cond, topic(' lunch'))).toBe(false);
    expect(conditionMatches(cond, topic('lunc'))).toBe(false);
    expect(conditionMatches(cond, topic(null))).toBe(false);
  });
  it('never matches an absent or non-string property, even with *', () => {
    expect(conditionMatches([{ kind: 'event_match', key: 'content.nope', pattern: '*' }], topic('x'))).toBe(false);
    expect(conditionMatches([{ kind: 'event_match', key: 'content.topic', pattern: '*' }], topic(3))).toBe(false);
    expect(conditionMatches([{ kind: 'event_match', key: 'content.topic', pattern: '*' }], topic({ a: 'b' }))).toBe(false);
  });
  it('matches content.body by words (spec example)', () => {
    const ex = [{ kind: 'event_match', key: 'content.body', pattern: 'ex*ple' }];
    expect(conditionMatches(ex, message({ body: 'An example event.' }))).toBe(true);
    expect(conditionMatches(ex, message({ body: 'exple' }))).toBe(true);
    expect(conditionMatches(ex, message({ body: 'An exciting triple-whammy' }))).toBe(true);
    expect(conditionMatches(ex, message({ body: 'counterexamples' }))).toBe(false);
  });
  it('reaches keys with dots through escapes', () => {
    const c = [{ kind: 'event_match', key: 'content.m\\.relates_to.rel_type', pattern: 'm.thread' }];
    expect(conditionMatches(c, message({ body: 'x', 'm.relates_to': { rel_type: 'm.thread', event_id: '$r' } }))).toBe(true);
    expect(conditionMatches(c, message({ body: 'x', m: { relates_to: { rel_type: 'm.thread' } } }))).toBe(false);
  });
  it('reads top-level keys (type, state_key, sender, room_id)', () => {
    expect(conditionMatches([{ kind: 'event_match', key: 'sender', pattern: '@bob:*' }], message({ body: 'x' }))).toBe(true);
    expect(conditionMatches([{ kind: 'event_match', key: 'room_id', pattern: ROOM }], message({ body: 'x' }))).toBe(true);
    // No implicit state_key condition: a message has none, so '' does not match it.
    expect(conditionMatches([{ kind: 'event_match', key: 'state_key', pattern: '' }], message({ body: 'x' }))).toBe(false);
  });
  it('is malformed without a key or pattern', () => {
    expect(conditionMatches([{ kind: 'event_match', key: 'type' }], message({ body: 'x' }))).toBe(false);
    expect(conditionMatches([{ kind: 'event_match', pattern: '*' }], message({ body: 'x' }))).toBe(false);
  });
});

describe('event_property_is and event_property_contains', () => {
  const create = (federate: unknown) => ({ type: 'm.room.create', state_key: '', content: { 'm.federate': federate, room_version: '1' } as JsonObject });
  const isTrue = [{ kind: 'event_property_is', key: 'content.m\\.federate', value: true }];
  it('matches exact values of the same type (spec example)', () => {
    expect(conditionMatches(isTrue, create(true))).toBe(true);
    expect(conditionMatches(isTrue, create('true'))).toBe(false);
    expect(conditionMatches(isTrue, create(1))).toBe(false);
  });
  it('handles null, integers and strings, and not compound values', () => {
    expect(conditionMatches([{ kind: 'event_property_is', key: 'content.x', value: null }], message({ x: null }))).toBe(true);
    expect(conditionMatches([{ kind: 'event_property_is', key: 'content.x', value: null }], message({}))).toBe(false);
    expect(conditionMatches([{ kind: 'event_property_is', key: 'content.x', value: 5 }], message({ x: 5 }))).toBe(true);
    expect(conditionMatches([{ kind: 'event_property_is', key: 'content.x', value: 'A' }], message({ x: 'a' }))).toBe(false);
    expect(conditionMatches([{ kind: 'event_property_is', key: 'content.x', value: [1] as unknown as string }], message({ x: [1] }))).toBe(false);
  });
  const aliases = [{ kind: 'event_property_contains', key: 'content.alt_aliases', value: '#myroom:example.com' }];
  const alias = (alt: unknown) => ({ type: 'm.room.canonical_alias', state_key: '', content: { alias: '#somewhere:localhost', alt_aliases: alt } as JsonObject });
  it('finds a value in an array (spec example)', () => {
    expect(conditionMatches(aliases, alias(['#somewhere:example.org', '#myroom:example.com']))).toBe(true);
    expect(conditionMatches(aliases, alias([':example.com']))).toBe(false);
    expect(conditionMatches(aliases, alias('#myroom:example.com'))).toBe(false);
    expect(conditionMatches(aliases, alias([['#myroom:example.com']]))).toBe(false);
  });
});

describe('room_member_count', () => {
  it('compares with ==, <, >, <=, >= and defaults to ==', () => {
    expect(memberCountMatches('2', 2)).toBe(true);
    expect(memberCountMatches('2', 3)).toBe(false);
    expect(memberCountMatches('==2', 2)).toBe(true);
    expect(memberCountMatches('<10', 9)).toBe(true);
    expect(memberCountMatches('<10', 10)).toBe(false);
    expect(memberCountMatches('<=10', 10)).toBe(true);
    expect(memberCountMatches('>10', 11)).toBe(true);
    expect(memberCountMatches('>10', 10)).toBe(false);
    expect(memberCountMatches('>=10', 10)).toBe(true);
    expect(memberCountMatches('=>10', 10)).toBe(false);
    expect(memberCountMatches('ten', 10)).toBe(false);
    expect(memberCountMatches('', 0)).toBe(false);
  });
  it('is a condition on the room size', () => {
    const c = [{ kind: 'room_member_count', is: '<=10' }];
    expect(conditionMatches(c, message({ body: 'x' }), { roomMemberCount: 10 })).toBe(true);
    expect(conditionMatches(c, message({ body: 'x' }), { roomMemberCount: 11 })).toBe(false);
  });
});

describe('sender_notification_permission and contains_display_name', () => {
  const c = [{ kind: 'sender_notification_permission', key: 'room' }];
  it('needs the level in notifications (50 by default)', () => {
    expect(conditionMatches(c, message({ body: 'x' }), { senderPowerLevel: 50 })).toBe(true);
    expect(conditionMatches(c, message({ body: 'x' }), { senderPowerLevel: 49 })).toBe(false);
    expect(conditionMatches(c, message({ body: 'x' }), { senderPowerLevel: 10, notificationLevel: (k) => (k === 'room' ? 10 : 50) })).toBe(true);
    expect(conditionMatches(c, message({ body: 'x' }), { senderPowerLevel: undefined })).toBe(false);
    expect(conditionMatches(c, message({ body: 'x' }), { senderPowerLevel: Infinity })).toBe(true);
  });
  it('finds the display name as a word, and never an empty one', () => {
    const d = [{ kind: 'contains_display_name' }];
    expect(conditionMatches(d, message({ body: 'hey Alice, lunch?' }), {}, 'alice')).toBe(true);
    expect(conditionMatches(d, message({ body: 'Malice aforethought' }), {}, 'Alice')).toBe(false);
    expect(conditionMatches(d, message({ body: 'anything' }), {}, '')).toBe(false);
    expect(conditionMatches(d, message({ body: 'anything' }), {}, undefined)).toBe(false);
    // Wildcards in a name are literal characters.
    expect(conditionMatches(d, message({ body: 'hello world' }), {}, 'h*')).toBe(false);
    expect(conditionMatches(d, message({ body: 'ping h* now' }), {}, 'h*')).toBe(true);
    expect(conditionMatches(d, message({ body: 'hi Mary-Jane (work)!' }), {}, 'mary-jane (work)')).toBe(true);
  });
  it('an unknown condition kind never matches', () => {
    expect(conditionMatches([{ kind: 'org.example.future' }], message({ body: 'x' }))).toBe(false);
    expect(conditionMatches([], message({ body: 'x' }))).toBe(true);
  });
});

describe('rule kinds, order and actions', () => {
  it('content rules match content.body by pattern (words)', () => {
    const rules = onlyRule('content', { pattern: 'cake*lie' });
    const ev = (body: string) => new PushEvaluator(input(message({ body }))).evaluate(rules, recipient()).notify;
    expect(ev('the cake is a lie')).toBe(true);
    expect(ev('cakes lie')).toBe(true);
    expect(ev('pancake lies')).toBe(false);
  });
  it('room and sender rules match by their rule_id', () => {
    const ev = (rules: PushRuleset) => new PushEvaluator(input(message({ body: 'x' }))).evaluate(rules, recipient()).notify;
    expect(ev(onlyRule('room', { rule_id: ROOM }))).toBe(true);
    expect(ev(onlyRule('room', { rule_id: '!other:example.org' }))).toBe(false);
    expect(ev(onlyRule('sender', { rule_id: OTHER }))).toBe(true);
    expect(ev(onlyRule('sender', { rule_id: ME }))).toBe(false);
  });
  it('the first matching enabled rule wins, kinds in spec order', () => {
    const ruleset: PushRuleset = {
      override: [{ rule_id: 'off', default: false, enabled: false, conditions: [], actions: [] }],
      content: [],
      room: [{ rule_id: ROOM, default: false, enabled: true, actions: ['notify', { set_tweak: 'sound', value: 'room' }] }],
      sender: [{ rule_id: OTHER, default: false, enabled: true, actions: [] }],
      underride: [{ rule_id: 'all', default: false, enabled: true, conditions: [], actions: ['notify'] }],
    };
    const out = new PushEvaluator(input(message({ body: 'x' }))).evaluate(ruleset, recipient());
    expect(out.actions).toEqual(['notify', { set_tweak: 'sound', value: 'room' }]);
  });
  it('strips dont_notify and coalesce; highlight with no value is true', () => {
    expect(outcomeOf(['dont_notify'])).toEqual({ actions: [], notify: false, highlight: false });
    expect(outcomeOf(['notify', 'coalesce'])).toEqual({ actions: ['notify'], notify: true, highlight: false });
    expect(outcomeOf(['notify', { set_tweak: 'highlight' }]).highlight).toBe(true);
    expect(outcomeOf(['notify', { set_tweak: 'highlight', value: false }]).highlight).toBe(false);
    expect(outcomeOf([{ set_tweak: 'highlight' }])).toEqual({ actions: [{ set_tweak: 'highlight' }], notify: false, highlight: true });
  });
  it('no matching rule means no notification', () => {
    const empty: PushRuleset = { override: [], content: [], room: [], sender: [], underride: [] };
    expect(new PushEvaluator(input(message({ body: 'x' }))).evaluate(empty, recipient()).notify).toBe(false);
  });
});

describe('the server-default rules (spec v1.19)', () => {
  it('lists the predefined rules in the spec order', () => {
    const rules = defaultPushRules(ME);
    expect(rules.override.map((r) => r.rule_id)).toEqual([
      '.m.rule.master',
      '.m.rule.suppress_notices',
      '.m.rule.invite_for_me',
      '.m.rule.member_event',
      '.m.rule.is_user_mention',
      '.m.rule.contains_display_name',
      '.m.rule.is_room_mention',
      '.m.rule.roomnotif',
      '.m.rule.tombstone',
      '.m.rule.reaction',
      '.m.rule.room.server_acl',
      '.m.rule.suppress_edits',
    ]);
    expect(rules.content.map((r) => [r.rule_id, r.pattern])).toEqual([['.m.rule.contains_user_name', 'alice']]);
    expect(rules.underride.map((r) => r.rule_id)).toEqual([
      '.m.rule.call',
      '.m.rule.encrypted_room_one_to_one',
      '.m.rule.room_one_to_one',
      '.m.rule.message',
      '.m.rule.encrypted',
    ]);
    expect(rules.override[0]!.enabled).toBe(false);
    expect([...rules.override, ...rules.content, ...rules.underride].every((r) => r.default)).toBe(true);
  });

  it('a plain message in a group notifies without highlight or sound', () => {
    expect(defaults(message({ body: 'hello' }))).toEqual({ actions: ['notify'], notify: true, highlight: false });
  });
  it('a message in a one-to-one room plays the default sound', () => {
    expect(defaults(message({ body: 'hello' }), { roomMemberCount: 2 }).actions).toEqual(['notify', { set_tweak: 'sound', value: 'default' }]);
    expect(defaults({ type: 'm.room.encrypted', content: { algorithm: 'x' } }, { roomMemberCount: 2 }).actions).toContainEqual({ set_tweak: 'sound', value: 'default' });
    expect(defaults({ type: 'm.room.encrypted', content: { algorithm: 'x' } }, { roomMemberCount: 3 }).actions).toEqual(['notify']);
  });
  it('notices, reactions, member events, ACLs and edits do not notify', () => {
    expect(defaults(message({ msgtype: 'm.notice', body: 'bot says' })).notify).toBe(false);
    expect(defaults({ type: 'm.reaction', content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: '👍' } } }).notify).toBe(false);
    expect(defaults({ type: 'm.room.member', state_key: OTHER, content: { membership: 'join' } }).notify).toBe(false);
    expect(defaults({ type: 'm.room.server_acl', state_key: '', content: { allow: ['*'] } }).notify).toBe(false);
    const edit = message({ body: '* fixed', 'm.new_content': { body: 'fixed' }, 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } });
    expect(defaults(edit).notify).toBe(false);
  });
  it('an invite for me notifies with sound; one for someone else does not', () => {
    expect(defaults({ type: 'm.room.member', state_key: ME, content: { membership: 'invite' } }).actions).toEqual(['notify', { set_tweak: 'sound', value: 'default' }]);
    expect(defaults({ type: 'm.room.member', state_key: OTHER, content: { membership: 'invite' } }).notify).toBe(false);
  });
  it('m.mentions of my user ID highlights', () => {
    const out = defaults(message({ body: 'no name here', 'm.mentions': { user_ids: [ME] } }));
    expect(out).toEqual({ actions: ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }], notify: true, highlight: true });
    expect(defaults(message({ body: 'x', 'm.mentions': { user_ids: [OTHER] } })).highlight).toBe(false);
  });
  it('with m.mentions the legacy body rules stand aside; without it they apply', () => {
    expect(defaults(message({ body: 'hi Alice', 'm.mentions': {} })).highlight).toBe(false);
    expect(defaults(message({ body: 'hi Alice' })).highlight).toBe(true);
    expect(defaults(message({ body: 'ping alice' }), {}, 'Someone').highlight).toBe(true);
    expect(defaults(message({ body: 'ping alice', 'm.mentions': {} }), {}, 'Someone').highlight).toBe(false);
  });
  it('room mentions need the notifications.room level', () => {
    const roomMention = message({ body: 'everyone!', 'm.mentions': { room: true } });
    expect(defaults(roomMention, { senderPowerLevel: 50 }).highlight).toBe(true);
    expect(defaults(roomMention, { senderPowerLevel: 0 }).highlight).toBe(false);
    expect(defaults(message({ body: '@room lunch' }), { senderPowerLevel: 100 }).highlight).toBe(true);
    expect(defaults(message({ body: '@room lunch' }), { senderPowerLevel: 0 }).highlight).toBe(false);
  });
  it('a tombstone highlights; other state is silent', () => {
    expect(defaults({ type: 'm.room.tombstone', state_key: '', content: { replacement_room: '!n:x' } }).highlight).toBe(true);
    expect(defaults({ type: 'm.room.topic', state_key: '', content: { topic: 't' } }).notify).toBe(false);
  });
  it('calls ring', () => {
    expect(defaults({ type: 'm.call.invite', content: { call_id: 'c' } }).actions).toEqual(['notify', { set_tweak: 'sound', value: 'ring' }]);
  });
});

describe('a user ruleset', () => {
  const none = { override: [], content: [], room: [], sender: [], underride: [] };
  it('puts .m.rule.master first, then the user rules, then the defaults of each kind', () => {
    const own: PushRule = { rule_id: 'mine', default: false, enabled: true, conditions: [], actions: [] };
    const ruleset = buildRuleset(ME, { ...none, override: [own], underride: [own] }, new Map());
    expect(ruleset.override.slice(0, 3).map((r) => r.rule_id)).toEqual(['.m.rule.master', 'mine', '.m.rule.suppress_notices']);
    expect(ruleset.underride[0]!.rule_id).toBe('mine');
  });
  it('applies enabled and actions changes to default rules', () => {
    const ruleset = buildRuleset(ME, none, new Map([['.m.rule.master', { enabled: true }], ['.m.rule.message', { actions: [] }]]));
    expect(ruleset.override[0]).toMatchObject({ rule_id: '.m.rule.master', enabled: true });
    const eval_ = new PushEvaluator(input(message({ body: 'hello', 'm.mentions': { user_ids: [ME] } })));
    expect(eval_.evaluate(ruleset, recipient()).notify).toBe(false);
    const quiet = buildRuleset(ME, none, new Map([['.m.rule.message', { actions: ['dont_notify'] }]]));
    expect(new PushEvaluator(input(message({ body: 'hello' }))).evaluate(quiet, recipient()).notify).toBe(false);
  });
  it('checks actions', () => {
    expect(actionsProblem(['notify', { set_tweak: 'sound', value: 'x' }, 'dont_notify', 'coalesce'])).toBeUndefined();
    expect(actionsProblem(['wiggle'])).toBeDefined();
    expect(actionsProblem([{ value: 1 }])).toBeDefined();
    expect(actionsProblem([3])).toBeDefined();
  });
});
