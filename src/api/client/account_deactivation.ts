import { Type } from '@sinclair/typebox';
import { ok } from '../endpoint.js';
import { AuthData, endpoint } from '../define.js';

export const deactivateAccount = endpoint({
  id: 'deactivateAccount',
  method: 'POST',
  path: '/_matrix/client/v3/account/deactivate',
  aliases: ['/_matrix/client/r0/account/deactivate'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({
    auth: Type.Optional(AuthData()),
    id_server: Type.Optional(Type.String()),
    erase: Type.Optional(Type.Boolean()),
  }),
  async handler({ services, requester, body, clientIp }) {
    await services.accounts.deactivate(requester, body, clientIp);
    // We never bound third-party IDs at an identity server, so there is nothing to unbind.
    return ok({ id_server_unbind_result: 'no-support' });
  },
});

export const accountDeactivationEndpoints = [deactivateAccount];
