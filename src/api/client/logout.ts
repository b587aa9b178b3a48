import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

/** Logging out deletes the device (spec): its keys and to-device messages go with it. */
export const logout = endpoint({
  id: 'logout',
  method: 'POST',
  path: '/_matrix/client/v3/logout',
  aliases: ['/_matrix/client/r0/logout'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester }) {
    services.devices.delete(requester.userId, [requester.deviceId]);
    services.sessions.forgetToken(requester.accessTokenId);
    return ok({});
  },
});

export const logoutAll = endpoint({
  id: 'logout_all',
  method: 'POST',
  path: '/_matrix/client/v3/logout/all',
  aliases: ['/_matrix/client/r0/logout/all'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester }) {
    services.devices.deleteAll(requester.userId);
    return ok({});
  },
});

export const logoutEndpoints = [logout, logoutAll];
