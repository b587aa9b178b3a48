import { isJsonObject, type JsonObject } from '../core/json.js';
import type { DefaultRuleChange } from '../core/push-rules/ruleset.js';
import { isPushRuleKind, type PushAction, type PushRuleKind } from '../core/push-rules/types.js';
import type { Db } from './database.js';

/** Users' own push rules (ordered per kind) and their changes to the server-default rules. */

export interface StoredPushRule {
  readonly kind: PushRuleKind;
  readonly ruleId: string;
  readonly conditions?: JsonObject[];
  readonly pattern?: string;
  readonly actions: PushAction[];
  readonly enabled: boolean;
}

interface RuleRow {
  kind: string;
  rule_id: string;
  conditions: string | null;
  pattern: string | null;
  actions: string;
  enabled: number;
}

interface DefaultRow {
  kind: string;
  rule_id: string;
  enabled: number | null;
  actions: string | null;
}

function parseActions(json: string): PushAction[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((a): a is PushAction => typeof a === 'string' || isJsonObject(a)) : [];
}

function toRule(r: RuleRow): StoredPushRule | undefined {
  if (!isPushRuleKind(r.kind)) return undefined;
  const conditions: unknown = r.conditions === null ? undefined : JSON.parse(r.conditions);
  return {
    kind: r.kind,
    ruleId: r.rule_id,
    ...(Array.isArray(conditions) ? { conditions: conditions.filter(isJsonObject) } : {}),
    ...(r.pattern !== null ? { pattern: r.pattern } : {}),
    actions: parseActions(r.actions),
    enabled: r.enabled === 1,
  };
}

export class PushRulesRepo {
  private readonly rulesStmt;
  private readonly deleteKindStmt;
  private readonly insertStmt;
  private readonly defaultsStmt;
  private readonly putDefaultStmt;
  private readonly customisedStmt;

  constructor(db: Db) {
    this.customisedStmt = db.prepare<[], { user_id: string }>('SELECT user_id FROM push_rules UNION SELECT user_id FROM push_rule_defaults');
    this.rulesStmt = db.prepare<[string], RuleRow>(
      'SELECT kind, rule_id, conditions, pattern, actions, enabled FROM push_rules WHERE user_id = ? ORDER BY kind, position',
    );
    this.deleteKindStmt = db.prepare('DELETE FROM push_rules WHERE user_id = ? AND kind = ?');
    this.insertStmt = db.prepare(
      `INSERT INTO push_rules (user_id, kind, rule_id, position, conditions, pattern, actions, enabled)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.defaultsStmt = db.prepare<[string], DefaultRow>('SELECT kind, rule_id, enabled, actions FROM push_rule_defaults WHERE user_id = ?');
    this.putDefaultStmt = db.prepare(
      `INSERT INTO push_rule_defaults (user_id, kind, rule_id, enabled, actions) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id, kind, rule_id) DO UPDATE SET enabled = excluded.enabled, actions = excluded.actions`,
    );
  }

  /** Users with a rule of their own or a changed default rule. */
  customisedUsers(): string[] {
    return this.customisedStmt.all().map((r) => r.user_id);
  }

  /** The user's own rules, each kind in priority order. */
  userRules(userId: string): StoredPushRule[] {
    return this.rulesStmt.all(userId).flatMap((r) => toRule(r) ?? []);
  }

  /** Replaces the user's rules of one kind with `rules`, most important first (call in a transaction). */
  replaceKind(userId: string, kind: PushRuleKind, rules: readonly StoredPushRule[]): void {
    this.deleteKindStmt.run(userId, kind);
    rules.forEach((rule, position) => {
      this.insertStmt.run(
        userId,
        kind,
        rule.ruleId,
        position,
        rule.conditions === undefined ? null : JSON.stringify(rule.conditions),
        rule.pattern ?? null,
        JSON.stringify(rule.actions),
        rule.enabled ? 1 : 0,
      );
    });
  }

  /** The user's changes to server-default rules, by rule ID. */
  defaultChanges(userId: string): Map<string, DefaultRuleChange & { readonly kind: string }> {
    const out = new Map<string, DefaultRuleChange & { readonly kind: string }>();
    for (const r of this.defaultsStmt.all(userId)) {
      out.set(r.rule_id, {
        kind: r.kind,
        ...(r.enabled !== null ? { enabled: r.enabled === 1 } : {}),
        ...(r.actions !== null ? { actions: parseActions(r.actions) } : {}),
      });
    }
    return out;
  }

  putDefaultChange(userId: string, kind: PushRuleKind, ruleId: string, change: DefaultRuleChange): void {
    this.putDefaultStmt.run(
      userId,
      kind,
      ruleId,
      change.enabled === undefined ? null : change.enabled ? 1 : 0,
      change.actions === undefined ? null : JSON.stringify(change.actions),
    );
  }
}
