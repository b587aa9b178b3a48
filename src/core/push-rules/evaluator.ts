import { ConditionMatcher, type PushEventInput, type PushRecipient } from './conditions.js';
import { PUSH_RULE_KINDS, tweakValue, type PushAction, type PushOutcome, type PushRule, type PushRuleKind, type PushRuleset } from './types.js';

/**
 * Runs a user's push rules against an event (spec "Push Rules"): kinds in order (override,
 * content, room, sender, underride), rules in their order within a kind, the first enabled rule
 * that matches decides. Its actions, minus the historical `dont_notify` and `coalesce`, are the
 * outcome. Pure: the caller supplies room facts (member count, power levels, display name).
 */

export type { PushEventInput, PushRecipient } from './conditions.js';

/** Deprecated rules that stand aside when the event carries `m.mentions` (spec v1.7). */
const LEGACY_MENTION_RULES = new Set(['.m.rule.contains_display_name', '.m.rule.contains_user_name', '.m.rule.roomnotif']);

const NO_MATCH: PushOutcome = { actions: [], notify: false, highlight: false };

export class PushEvaluator {
  private readonly matcher: ConditionMatcher;

  /** `patternCache`: compiled globs to reuse across events (see ConditionMatcher). */
  constructor(input: PushEventInput, patternCache?: Map<string, RegExp>) {
    this.matcher = new ConditionMatcher(input, patternCache);
  }

  evaluate(ruleset: PushRuleset, recipient: PushRecipient): PushOutcome {
    for (const kind of PUSH_RULE_KINDS) {
      for (const rule of ruleset[kind]) {
        if (!rule.enabled) continue;
        if (rule.default && this.matcher.hasMentions && LEGACY_MENTION_RULES.has(rule.rule_id)) continue;
        if (this.ruleMatches(kind, rule, recipient)) return outcomeOf(rule.actions);
      }
    }
    return NO_MATCH;
  }

  private ruleMatches(kind: PushRuleKind, rule: PushRule, recipient: PushRecipient): boolean {
    const event = this.matcher.input.event;
    switch (kind) {
      case 'override':
      case 'underride':
        return (rule.conditions ?? []).every((c) => this.matcher.matches(c, recipient));
      case 'content':
        return this.matcher.matchesContentPattern(rule.pattern);
      case 'room':
        return event['room_id'] === rule.rule_id;
      case 'sender':
        return event['sender'] === rule.rule_id;
    }
  }
}

export function outcomeOf(ruleActions: readonly PushAction[]): PushOutcome {
  const actions = ruleActions.filter((a) => a !== 'dont_notify' && a !== 'coalesce');
  return {
    actions,
    notify: actions.includes('notify'),
    highlight: actions.some((a) => tweakValue(a, 'highlight') === true),
  };
}
