import { isJsonObject, type JsonObject, type JsonValue } from '../../core/json.js';
import { defaultPushRules } from '../../core/push-rules/default-rules.js';
import { actionsProblem, buildRuleset, conditionsProblem, findRule, rulesetJson, type UserRules } from '../../core/push-rules/ruleset.js';
import { isPushRuleKind, PUSH_RULE_KINDS, type PushAction, type PushRule, type PushRuleKind, type PushRuleset } from '../../core/push-rules/types.js';
import type { PushRulesRepo, StoredPushRule } from '../../storage/push-rules-repo.js';
import type { Storage } from '../../storage/storage.js';
import type { AccountDataService } from '../account-data.js';
import { ErrCode, invalidParam, MatrixError, missingParam, notFound } from '../errors.js';

/**
 * Users' push rules (spec "Push Rules: API"): reading the effective ruleset, adding, moving and
 * deleting the user's own rules, enabling and changing the actions of any rule. Every change
 * rewrites the `m.push_rules` global account data in its transaction, so the owner's next
 * /sync carries the new rules (as Synapse does). Rulesets are cached per user for the
 * notification path, which evaluates them for every member on every event.
 */

export interface PutRuleBody {
  readonly actions: JsonValue[];
  readonly conditions?: JsonValue[];
  readonly pattern?: string;
}

/** Bounds on what one user may store. */
const MAX_RULES_PER_KIND = 200;
const MAX_RULE_BYTES = 4096;
const MAX_RULE_ID_LENGTH = 1024;
/** Rulesets kept in memory; beyond this the oldest entries go (it is only a cache). */
const CACHE_SIZE = 10_000;

interface CachedRules {
  readonly ruleset: PushRuleset;
  /** No rule of their own and no default rule changed: the server defaults as they are. */
  readonly pristine: boolean;
}

export class PushRulesService {
  private readonly cache = new Map<string, CachedRules>();
  /** Users not on the plain defaults (read once, then kept with each change). */
  private customised: Set<string> | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly accountData: AccountDataService,
  ) {}

  /** The user's effective rules, in evaluation order. */
  rulesetOf(userId: string): PushRuleset {
    return this.cached(userId).ruleset;
  }

  /**
   * The users who are not on the plain default rules (usually few). Under the defaults no
   * membership event other than an invite ever notifies (.m.rule.member_event), so the
   * notification path looks only at these users for joins, leaves and profile changes.
   */
  customisedUsers(): ReadonlySet<string> {
    return (this.customised ??= new Set(this.storage.pushRules.customisedUsers()));
  }

  private cached(userId: string): CachedRules {
    let entry = this.cache.get(userId);
    if (entry) return entry;
    entry = this.loadCached(userId);
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(userId, entry);
    return entry;
  }

  private loadCached(userId: string): CachedRules {
    const stored = this.storage.pushRules.userRules(userId);
    const changes = this.storage.pushRules.defaultChanges(userId);
    return { ruleset: this.build(userId, stored, changes), pristine: stored.length === 0 && changes.size === 0 };
  }

  globalJson(userId: string): JsonObject {
    return rulesetJson(this.rulesetOf(userId));
  }

  getRule(userId: string, kindParam: string, ruleId: string): PushRule {
    const rule = findRule(this.rulesetOf(userId), parseKind(kindParam), ruleId);
    if (!rule) throw ruleNotFound();
    return rule;
  }

  /** PUT /pushrules/global/{kind}/{ruleId}: creates or replaces one of the user's own rules. */
  putRule(userId: string, kindParam: string, ruleId: string, body: PutRuleBody, before: string | undefined, after: string | undefined): void {
    const kind = parseKind(kindParam);
    checkRuleId(ruleId);
    const actions = checkedActions(body.actions);
    let conditions: JsonObject[] | undefined;
    let pattern: string | undefined;
    if (kind === 'override' || kind === 'underride') {
      const given = body.conditions ?? [];
      const problem = conditionsProblem(given);
      if (problem) throw invalidParam(problem);
      conditions = given.filter(isJsonObject);
    } else if (kind === 'content') {
      if (body.pattern === undefined) throw missingParam('Content rules need a pattern');
      pattern = body.pattern;
    }
    if (Buffer.byteLength(JSON.stringify({ actions, conditions, pattern })) > MAX_RULE_BYTES) {
      throw new MatrixError(413, ErrCode.TOO_LARGE, 'Push rule is too large');
    }

    this.change(userId, () => {
      const rules = this.userRulesOf(userId, kind);
      const existing = rules.find((r) => r.ruleId === ruleId);
      const rule: StoredPushRule = {
        kind,
        ruleId,
        ...(conditions !== undefined ? { conditions } : {}),
        ...(pattern !== undefined ? { pattern } : {}),
        actions,
        // New rules start enabled; a replaced rule keeps its state.
        enabled: existing?.enabled ?? true,
      };
      const anchorId = before ?? after;
      let next: StoredPushRule[];
      if (anchorId !== undefined) {
        if (anchorId.startsWith('.')) throw new MatrixError(400, ErrCode.UNKNOWN, `before/after cannot name a server-default rule: ${anchorId}`);
        const others = rules.filter((r) => r.ruleId !== ruleId);
        const at = others.findIndex((r) => r.ruleId === anchorId);
        if (at < 0) throw new MatrixError(400, ErrCode.UNKNOWN, `before/after rule not found: ${anchorId}`);
        // With both given, `before` decides (spec).
        const index = before !== undefined ? at : at + 1;
        next = [...others.slice(0, index), rule, ...others.slice(index)];
      } else if (existing) {
        next = rules.map((r) => (r.ruleId === ruleId ? rule : r));
      } else {
        next = [rule, ...rules];
      }
      if (next.length > MAX_RULES_PER_KIND) throw invalidParam(`At most ${MAX_RULES_PER_KIND} ${kind} rules`);
      this.storage.pushRules.replaceKind(userId, kind, next);
    });
  }

  deleteRule(userId: string, kindParam: string, ruleId: string): void {
    const kind = parseKind(kindParam);
    this.change(userId, () => {
      const rules = this.userRulesOf(userId, kind);
      // Server-default rules cannot be deleted; like Synapse, they are simply not found here.
      if (!rules.some((r) => r.ruleId === ruleId)) throw ruleNotFound();
      this.storage.pushRules.replaceKind(
        userId,
        kind,
        rules.filter((r) => r.ruleId !== ruleId),
      );
    });
  }

  setEnabled(userId: string, kindParam: string, ruleId: string, enabled: boolean): void {
    this.update(userId, parseKind(kindParam), ruleId, { enabled });
  }

  setActions(userId: string, kindParam: string, ruleId: string, actions: JsonValue[]): void {
    this.update(userId, parseKind(kindParam), ruleId, { actions: checkedActions(actions) });
  }

  private update(userId: string, kind: PushRuleKind, ruleId: string, change: { enabled?: boolean; actions?: PushAction[] }): void {
    this.change(userId, () => {
      if (ruleId.startsWith('.')) {
        if (!defaultPushRules(userId)[kind].some((r) => r.rule_id === ruleId)) throw ruleNotFound();
        const previous = this.storage.pushRules.defaultChanges(userId).get(ruleId);
        this.storage.pushRules.putDefaultChange(userId, kind, ruleId, {
          ...(previous?.enabled !== undefined ? { enabled: previous.enabled } : {}),
          ...(previous?.actions !== undefined ? { actions: previous.actions } : {}),
          ...change,
        });
        return;
      }
      const rules = this.userRulesOf(userId, kind);
      if (!rules.some((r) => r.ruleId === ruleId)) throw ruleNotFound();
      this.storage.pushRules.replaceKind(
        userId,
        kind,
        rules.map((r) => (r.ruleId === ruleId ? { ...r, ...change } : r)),
      );
    });
  }

  /** Runs a change and the m.push_rules rewrite in one transaction, then wakes the owner's syncs. */
  private change(userId: string, apply: () => void): void {
    this.cache.delete(userId);
    let position: number;
    try {
      position = this.storage.transaction(() => {
        apply();
        const streamId = this.storage.streamPositions.next('account_data');
        // Written directly, not through AccountDataService.putUnnotified: the rules are bounded
        // above, and its client-sized limit would refuse a user with many muted rooms.
        this.storage.accountData.put(userId, '', 'm.push_rules', { global: rulesetJson(this.load(userId)) }, streamId);
        return streamId;
      });
    } finally {
      this.cache.delete(userId);
      // Rules can only be added or changed, never put back to "untouched": once customised, kept.
      if (this.customised && !this.cached(userId).pristine) this.customised.add(userId);
    }
    this.accountData.notifyOwner(userId, position);
  }

  private load(userId: string): PushRuleset {
    return this.build(userId, this.storage.pushRules.userRules(userId), this.storage.pushRules.defaultChanges(userId));
  }

  private build(userId: string, stored: readonly StoredPushRule[], changes: ReturnType<PushRulesRepo['defaultChanges']>): PushRuleset {
    const own: Record<PushRuleKind, PushRule[]> = { override: [], content: [], room: [], sender: [], underride: [] };
    for (const r of stored) {
      own[r.kind].push({
        rule_id: r.ruleId,
        default: false,
        enabled: r.enabled,
        actions: r.actions,
        ...(r.conditions !== undefined ? { conditions: r.conditions } : {}),
        ...(r.pattern !== undefined ? { pattern: r.pattern } : {}),
      });
    }
    return buildRuleset(userId, own satisfies UserRules, changes);
  }

  private userRulesOf(userId: string, kind: PushRuleKind): StoredPushRule[] {
    return this.storage.pushRules.userRules(userId).filter((r) => r.kind === kind);
  }
}

function parseKind(kind: string): PushRuleKind {
  if (!isPushRuleKind(kind)) throw invalidParam(`Unknown push rule kind ${kind}; expected one of ${PUSH_RULE_KINDS.join(', ')}`);
  return kind;
}

function checkRuleId(ruleId: string): void {
  if (ruleId.length === 0 || ruleId.length > MAX_RULE_ID_LENGTH) throw invalidParam('Invalid rule_id');
  if (ruleId.startsWith('.')) throw invalidParam('rule_ids starting with "." are reserved for server-default rules');
  if (ruleId.includes('/') || ruleId.includes('\\')) throw invalidParam('rule_id cannot contain "/" or "\\"');
}

function checkedActions(actions: JsonValue[]): PushAction[] {
  const problem = actionsProblem(actions);
  if (problem) throw invalidParam(problem);
  return actions.filter((a): a is PushAction => typeof a === 'string' || isJsonObject(a));
}

function ruleNotFound(): MatrixError {
  return notFound('The push rule was not found.');
}
