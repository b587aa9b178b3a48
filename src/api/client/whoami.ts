import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

export const getTokenOwner = endpoint({
  id: 'getTokenOwner',
  method: 'GET',
  path: '/_matrix/client/v3/account/whoami',
  aliases: ['/_matrix/client/r0/account/whoami'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ requester }) {
    return ok({ user_id: requester.userId, device_id: requester.deviceId, is_guest: false });
  },
});

export const whoamiEndpoints = [getTokenOwner];
