import { missingParam } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { endpoint, queryParam } from '../define.js';

/**
 * OpenID (server-server openid.yaml): a third party that a client gave an OpenID token to asks
 * whose it is. Not X-Matrix signed (the caller need not be a homeserver): the token is the proof.
 */

export const exchangeOpenIdToken = endpoint({
  id: 'exchangeOpenIdToken',
  method: 'GET',
  path: '/_matrix/federation/v1/openid/userinfo',
  auth: 'none',
  rateLimit: 'general',
  async handler({ services, query }) {
    const token = queryParam(query, 'access_token');
    if (token === undefined) throw missingParam('Missing access_token');
    return ok(services.federationMembership.openId.userInfo(token));
  },
});

export const openIdEndpoints = [exchangeOpenIdToken];
