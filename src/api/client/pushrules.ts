import { defaultPushRules } from '../../core/push-rules/default-rules.js';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

/**
 * Push rules, read side only: every user has the server-default rules (clients such as
 * matrix-js-sdk will not start syncing without them). Changing rules comes with push.
 */

export const getPushRules = endpoint({
  id: 'getPushRules',
  method: 'GET',
  path: '/_matrix/client/v3/pushrules/',
  aliases: ['/_matrix/client/r0/pushrules/'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ requester }) {
    return ok({ global: defaultPushRules(requester.userId) });
  },
});

export const getPushRulesGlobal = endpoint({
  id: 'getPushRulesGlobal',
  method: 'GET',
  path: '/_matrix/client/v3/pushrules/global/',
  aliases: ['/_matrix/client/r0/pushrules/global/'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ requester }) {
    return ok(defaultPushRules(requester.userId));
  },
});

export const pushRulesEndpoints = [getPushRules, getPushRulesGlobal];
