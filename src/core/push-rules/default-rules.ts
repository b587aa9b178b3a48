import type { JsonObject } from '../json.js';

/**
 * The server-default push rules (spec "Predefined Rules"), as a user's ruleset. Deprecated rules
 * (contains_display_name, roomnotif, contains_user_name), which the mention rules replace, are
 * left out. Pure data: the evaluator and user-defined rules build on it.
 */

const notify = (sound: string | undefined, highlight: boolean): JsonObject[] => {
  const actions: JsonObject[] = [];
  if (sound !== undefined) actions.push({ set_tweak: 'sound', value: sound });
  actions.push(highlight ? { set_tweak: 'highlight' } : { set_tweak: 'highlight', value: false });
  return actions;
};

const eventMatch = (key: string, pattern: string): JsonObject => ({ kind: 'event_match', key, pattern });

function rule(ruleId: string, conditions: JsonObject[], actions: (string | JsonObject)[], enabled = true): JsonObject {
  return { rule_id: ruleId, default: true, enabled, conditions, actions };
}

export function defaultPushRules(userId: string): JsonObject {
  return {
    override: [
      rule('.m.rule.master', [], [], false),
      rule('.m.rule.suppress_notices', [eventMatch('content.msgtype', 'm.notice')], []),
      rule(
        '.m.rule.invite_for_me',
        [eventMatch('type', 'm.room.member'), eventMatch('content.membership', 'invite'), eventMatch('state_key', userId)],
        ['notify', ...notify('default', false)],
      ),
      rule('.m.rule.member_event', [eventMatch('type', 'm.room.member')], []),
      rule(
        '.m.rule.is_user_mention',
        [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }],
        ['notify', ...notify('default', true)],
      ),
      rule(
        '.m.rule.is_room_mention',
        [{ kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true }, { kind: 'sender_notification_permission', key: 'room' }],
        ['notify', ...notify(undefined, true)],
      ),
      rule('.m.rule.tombstone', [eventMatch('type', 'm.room.tombstone'), eventMatch('state_key', '')], ['notify', ...notify(undefined, true)]),
      rule('.m.rule.reaction', [eventMatch('type', 'm.reaction')], []),
      rule('.m.rule.room.server_acl', [eventMatch('type', 'm.room.server_acl'), eventMatch('state_key', '')], []),
      rule('.m.rule.suppress_edits', [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }], []),
    ],
    content: [],
    room: [],
    sender: [],
    underride: [
      rule('.m.rule.call', [eventMatch('type', 'm.call.invite')], ['notify', ...notify('ring', false)]),
      rule(
        '.m.rule.encrypted_room_one_to_one',
        [{ kind: 'room_member_count', is: '2' }, eventMatch('type', 'm.room.encrypted')],
        ['notify', ...notify('default', false)],
      ),
      rule('.m.rule.room_one_to_one', [{ kind: 'room_member_count', is: '2' }, eventMatch('type', 'm.room.message')], ['notify', ...notify('default', false)]),
      rule('.m.rule.message', [eventMatch('type', 'm.room.message')], ['notify', ...notify(undefined, false)]),
      rule('.m.rule.encrypted', [eventMatch('type', 'm.room.encrypted')], ['notify', ...notify(undefined, false)]),
    ],
  };
}
