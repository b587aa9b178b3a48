import type { JsonObject } from '../json.js';
import type { PushAction, PushRule, PushRuleset } from './types.js';

/**
 * The server-default push rules (spec v1.19 "Predefined Rules"), in the spec's order, with the
 * spec's actions. The deprecated mention rules (.m.rule.contains_display_name, .m.rule.roomnotif,
 * .m.rule.contains_user_name) are included: the evaluator skips them for events that carry
 * `m.mentions`, as the spec asks, so older clients that mention by name still highlight.
 */

const eventMatch = (key: string, pattern: string): JsonObject => ({ kind: 'event_match', key, pattern });
const SOUND_DEFAULT: JsonObject = { set_tweak: 'sound', value: 'default' };
const HIGHLIGHT: JsonObject = { set_tweak: 'highlight' };

function rule(ruleId: string, conditions: JsonObject[], actions: PushAction[], enabled = true): PushRule {
  return { rule_id: ruleId, default: true, enabled, conditions, actions };
}

/** `.m.rule.master` always comes first, before the user's own override rules. */
export const MASTER_RULE_ID = '.m.rule.master';

export function defaultPushRules(userId: string): PushRuleset {
  const localpart = userId.slice(1, userId.includes(':') ? userId.indexOf(':') : undefined);
  return {
    override: [
      rule(MASTER_RULE_ID, [], [], false),
      rule('.m.rule.suppress_notices', [eventMatch('content.msgtype', 'm.notice')], []),
      rule(
        '.m.rule.invite_for_me',
        [eventMatch('type', 'm.room.member'), eventMatch('content.membership', 'invite'), eventMatch('state_key', userId)],
        ['notify', SOUND_DEFAULT],
      ),
      rule('.m.rule.member_event', [eventMatch('type', 'm.room.member')], []),
      rule(
        '.m.rule.is_user_mention',
        [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }],
        ['notify', SOUND_DEFAULT, HIGHLIGHT],
      ),
      rule('.m.rule.contains_display_name', [{ kind: 'contains_display_name' }], ['notify', SOUND_DEFAULT, HIGHLIGHT]),
      rule(
        '.m.rule.is_room_mention',
        [
          { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
          { kind: 'sender_notification_permission', key: 'room' },
        ],
        ['notify', HIGHLIGHT],
      ),
      rule('.m.rule.roomnotif', [eventMatch('content.body', '@room'), { kind: 'sender_notification_permission', key: 'room' }], ['notify', HIGHLIGHT]),
      rule('.m.rule.tombstone', [eventMatch('type', 'm.room.tombstone'), eventMatch('state_key', '')], ['notify', HIGHLIGHT]),
      rule('.m.rule.reaction', [eventMatch('type', 'm.reaction')], []),
      rule('.m.rule.room.server_acl', [eventMatch('type', 'm.room.server_acl'), eventMatch('state_key', '')], []),
      rule('.m.rule.suppress_edits', [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }], []),
    ],
    content: [
      { rule_id: '.m.rule.contains_user_name', default: true, enabled: true, pattern: localpart, actions: ['notify', SOUND_DEFAULT, HIGHLIGHT] },
    ],
    room: [],
    sender: [],
    underride: [
      rule('.m.rule.call', [eventMatch('type', 'm.call.invite')], ['notify', { set_tweak: 'sound', value: 'ring' }]),
      rule('.m.rule.encrypted_room_one_to_one', [{ kind: 'room_member_count', is: '2' }, eventMatch('type', 'm.room.encrypted')], ['notify', SOUND_DEFAULT]),
      rule('.m.rule.room_one_to_one', [{ kind: 'room_member_count', is: '2' }, eventMatch('type', 'm.room.message')], ['notify', SOUND_DEFAULT]),
      rule('.m.rule.message', [eventMatch('type', 'm.room.message')], ['notify']),
      rule('.m.rule.encrypted', [eventMatch('type', 'm.room.encrypted')], ['notify']),
    ],
  };
}
