import { Type } from '@sinclair/typebox';
import { ok } from '../endpoint.js';
import { AuthData, endpoint } from '../define.js';

export const changePassword = endpoint({
  id: 'changePassword',
  method: 'POST',
  path: '/_matrix/client/v3/account/password',
  aliases: ['/_matrix/client/r0/account/password'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({
    new_password: Type.String(),
    logout_devices: Type.Optional(Type.Boolean()),
    auth: Type.Optional(AuthData()),
  }),
  async handler({ services, requester, body, clientIp }) {
    await services.accounts.changePassword(requester, body, clientIp);
    return ok({});
  },
});

export const passwordManagementEndpoints = [changePassword];
