import { Type } from '@sinclair/typebox';
import type { JsonObject } from '../../core/json.js';
import { AnyJson, endpoint, queryParam } from '../define.js';
import { ok } from '../endpoint.js';

/**
 * Push rules (spec "Push Rules: API"): the effective ruleset (server defaults with the user's
 * changes, and the user's own rules), one rule, and its enabled flag and actions; adding,
 * moving (before/after) and deleting the user's own rules.
 */

const RULE_PATH = '/_matrix/client/v3/pushrules/global/{kind}/{ruleId}';
const R0_RULE_PATH = '/_matrix/client/r0/pushrules/global/{kind}/{ruleId}';

export const getPushRules = endpoint({
  id: 'getPushRules',
  method: 'GET',
  path: '/_matrix/client/v3/pushrules/',
  aliases: ['/_matrix/client/r0/pushrules/'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester }) {
    return ok({ global: services.push.rules.globalJson(requester.userId) });
  },
});

export const getPushRulesGlobal = endpoint({
  id: 'getPushRulesGlobal',
  method: 'GET',
  path: '/_matrix/client/v3/pushrules/global/',
  aliases: ['/_matrix/client/r0/pushrules/global/'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester }) {
    return ok(services.push.rules.globalJson(requester.userId));
  },
});

export const getPushRule = endpoint({
  id: 'getPushRule',
  method: 'GET',
  path: RULE_PATH,
  aliases: [R0_RULE_PATH],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params }) {
    return ok({ ...services.push.rules.getRule(requester.userId, params['kind']!, params['ruleId']!) });
  },
});

export const setPushRule = endpoint({
  id: 'setPushRule',
  method: 'PUT',
  path: RULE_PATH,
  aliases: [R0_RULE_PATH],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({
    actions: Type.Array(AnyJson()),
    conditions: Type.Optional(Type.Array(AnyJson())),
    pattern: Type.Optional(Type.String()),
  }),
  async handler({ services, requester, params, query, body }) {
    services.push.rules.putRule(
      requester.userId,
      params['kind']!,
      params['ruleId']!,
      {
        actions: body.actions,
        ...(body.conditions !== undefined ? { conditions: body.conditions } : {}),
        ...(body.pattern !== undefined ? { pattern: body.pattern } : {}),
      },
      queryParam(query, 'before'),
      queryParam(query, 'after'),
    );
    return ok({});
  },
});

export const deletePushRule = endpoint({
  id: 'deletePushRule',
  method: 'DELETE',
  path: RULE_PATH,
  aliases: [R0_RULE_PATH],
  auth: 'user',
  rateLimit: 'general',
  async handler({ services, requester, params }) {
    services.push.rules.deleteRule(requester.userId, params['kind']!, params['ruleId']!);
    return ok({});
  },
});

export const isPushRuleEnabled = endpoint({
  id: 'isPushRuleEnabled',
  method: 'GET',
  path: `${RULE_PATH}/enabled`,
  aliases: [`${R0_RULE_PATH}/enabled`],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params }) {
    return ok({ enabled: services.push.rules.getRule(requester.userId, params['kind']!, params['ruleId']!).enabled });
  },
});

export const setPushRuleEnabled = endpoint({
  id: 'setPushRuleEnabled',
  method: 'PUT',
  path: `${RULE_PATH}/enabled`,
  aliases: [`${R0_RULE_PATH}/enabled`],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ enabled: Type.Boolean() }),
  async handler({ services, requester, params, body }) {
    services.push.rules.setEnabled(requester.userId, params['kind']!, params['ruleId']!, body.enabled);
    return ok({});
  },
});

export const getPushRuleActions = endpoint({
  id: 'getPushRuleActions',
  method: 'GET',
  path: `${RULE_PATH}/actions`,
  aliases: [`${R0_RULE_PATH}/actions`],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params }) {
    const rule = services.push.rules.getRule(requester.userId, params['kind']!, params['ruleId']!);
    return ok({ actions: rule.actions } satisfies JsonObject);
  },
});

export const setPushRuleActions = endpoint({
  id: 'setPushRuleActions',
  method: 'PUT',
  path: `${RULE_PATH}/actions`,
  aliases: [`${R0_RULE_PATH}/actions`],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ actions: Type.Array(AnyJson()) }),
  async handler({ services, requester, params, body }) {
    services.push.rules.setActions(requester.userId, params['kind']!, params['ruleId']!, body.actions);
    return ok({});
  },
});

export const pushRulesEndpoints = [
  getPushRules,
  getPushRulesGlobal,
  getPushRule,
  setPushRule,
  deletePushRule,
  isPushRuleEnabled,
  setPushRuleEnabled,
  getPushRuleActions,
  setPushRuleActions,
];
