import type { JsonObject, JsonValue } from '../json.js';

/** Push rules as the spec's PushRule / PushRuleset (client-server "Push Rules"). */

/** The rule kinds, in the order they are checked. */
export const PUSH_RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const;
export type PushRuleKind = (typeof PUSH_RULE_KINDS)[number];

export function isPushRuleKind(value: string): value is PushRuleKind {
  return (PUSH_RULE_KINDS as readonly string[]).includes(value);
}

/** "notify", a historical no-op ("dont_notify", "coalesce"), an unknown string, or `{set_tweak, value?}`. */
export type PushAction = string | JsonObject;

// Type aliases (not interfaces) with plain arrays, so rules are JsonObjects as they stand.
export type PushRule = {
  readonly rule_id: string;
  readonly default: boolean;
  readonly enabled: boolean;
  readonly actions: PushAction[];
  /** override and underride rules; kept as JSON because unknown condition kinds must simply never match. */
  readonly conditions?: JsonObject[];
  /** content rules. */
  readonly pattern?: string;
};

export type PushRuleset = { readonly [K in PushRuleKind]: PushRule[] };

/** What the rules decided for one user and one event. */
export interface PushOutcome {
  /** The matching rule's actions, without the historical no-ops; empty when nothing matched. */
  readonly actions: readonly PushAction[];
  readonly notify: boolean;
  /** The highlight tweak (true when given without a value; false when absent). */
  readonly highlight: boolean;
}

/** The JSON value of a tweak action, or undefined when the action is not that tweak. */
export function tweakValue(action: PushAction, tweak: string): JsonValue | undefined {
  if (typeof action === 'string' || action['set_tweak'] !== tweak) return undefined;
  return Object.hasOwn(action, 'value') ? action['value']! : true;
}
