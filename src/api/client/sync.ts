import { invalidParam } from '../../services/errors.js';
import type { PresenceState } from '../../storage/presence-repo.js';
import { endpoint, queryParam } from '../define.js';
import { ok } from '../endpoint.js';

function booleanParam(value: string | undefined, name: string): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw invalidParam(`${name} must be true or false`);
}

function presenceParam(value: string | undefined): PresenceState | undefined {
  if (value === undefined) return undefined;
  if (value === 'online' || value === 'offline' || value === 'unavailable') return value;
  throw invalidParam('set_presence must be online, offline or unavailable');
}

export const sync = endpoint({
  id: 'sync',
  method: 'GET',
  path: '/_matrix/client/v3/sync',
  aliases: ['/_matrix/client/r0/sync'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, query, signal }) {
    const timeout = queryParam(query, 'timeout');
    if (timeout !== undefined && !/^\d{1,12}$/.test(timeout)) throw invalidParam('timeout must be a number of milliseconds');
    const body = await services.sync.sync(
      requester,
      {
        filter: queryParam(query, 'filter'),
        since: queryParam(query, 'since'),
        fullState: booleanParam(queryParam(query, 'full_state'), 'full_state'),
        setPresence: presenceParam(queryParam(query, 'set_presence')),
        timeoutMs: timeout === undefined ? 0 : Number(timeout),
        stateAfter: booleanParam(queryParam(query, 'use_state_after'), 'use_state_after')
          ? 'stable'
          : booleanParam(queryParam(query, 'org.matrix.msc4222.use_state_after'), 'org.matrix.msc4222.use_state_after')
            ? 'unstable'
            : undefined,
      },
      signal,
    );
    return ok(body);
  },
});

export const syncEndpoints = [sync];
