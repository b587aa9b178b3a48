import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import { defaultPushRules, MASTER_RULE_ID } from './default-rules.js';
import { PUSH_RULE_KINDS, type PushAction, type PushRule, type PushRuleKind, type PushRuleset } from './types.js';

/**
 * A user's ruleset: the server-default rules, with the user's enabled/actions changes applied,
 * and the user's own rules placed as Synapse places them (and the spec's priority text says):
 * `.m.rule.master` first, then the user's rules of each kind, then the defaults of that kind.
 */

/** A user's change to a server-default rule. */
export interface DefaultRuleChange {
  readonly enabled?: boolean;
  readonly actions?: PushAction[];
}

export type UserRules = { readonly [K in PushRuleKind]: readonly PushRule[] };

export function buildRuleset(userId: string, userRules: UserRules, changes: ReadonlyMap<string, DefaultRuleChange>): PushRuleset {
  const defaults = defaultPushRules(userId);
  const changed = (rule: PushRule): PushRule => {
    const change = changes.get(rule.rule_id);
    if (!change) return rule;
    return { ...rule, ...(change.enabled !== undefined ? { enabled: change.enabled } : {}), ...(change.actions ? { actions: change.actions } : {}) };
  };
  const build = (kind: PushRuleKind): PushRule[] => {
    const own = [...userRules[kind]];
    const base = defaults[kind].map(changed);
    if (kind !== 'override') return [...own, ...base];
    const master = base.filter((r) => r.rule_id === MASTER_RULE_ID);
    return [...master, ...own, ...base.filter((r) => r.rule_id !== MASTER_RULE_ID)];
  };
  return { override: build('override'), content: build('content'), room: build('room'), sender: build('sender'), underride: build('underride') };
}

export function findRule(ruleset: PushRuleset, kind: PushRuleKind, ruleId: string): PushRule | undefined {
  return ruleset[kind].find((r) => r.rule_id === ruleId);
}

/** The ruleset as GET /pushrules/global/ and the m.push_rules account data carry it. */
export function rulesetJson(ruleset: PushRuleset): JsonObject {
  const out: JsonObject = {};
  for (const kind of PUSH_RULE_KINDS) out[kind] = ruleset[kind].map(ruleJson);
  return out;
}

export function ruleJson(rule: PushRule): JsonObject {
  return { ...rule };
}

const HISTORICAL_ACTIONS = new Set(['notify', 'dont_notify', 'coalesce']);
const MAX_ACTIONS = 20;
const MAX_CONDITIONS = 20;

/** Checks a rule's actions; returns what is wrong, or undefined. */
export function actionsProblem(actions: readonly JsonValue[]): string | undefined {
  if (actions.length > MAX_ACTIONS) return `At most ${MAX_ACTIONS} actions`;
  for (const action of actions) {
    if (typeof action === 'string') {
      if (!HISTORICAL_ACTIONS.has(action)) return `Unrecognised action ${action}`;
    } else if (!isJsonObject(action) || typeof action['set_tweak'] !== 'string') {
      return 'An action must be a string or an object with a set_tweak string';
    }
  }
  return undefined;
}

/** Checks a rule's conditions (each an object with a `kind` string); returns what is wrong, or undefined. */
export function conditionsProblem(conditions: readonly JsonValue[]): string | undefined {
  if (conditions.length > MAX_CONDITIONS) return `At most ${MAX_CONDITIONS} conditions`;
  for (const condition of conditions) {
    if (!isJsonObject(condition) || typeof condition['kind'] !== 'string') return 'A condition must be an object with a kind string';
  }
  return undefined;
}
