import { AnyObject, endpoint } from '../define.js';
import { ok } from '../endpoint.js';

/**
 * OpenID (client-server openid.yaml): a token that proves the user's identity to a third party,
 * which checks it with GET /_matrix/federation/v1/openid/userinfo.
 */

export const requestOpenIdToken = endpoint({
  id: 'requestOpenIdToken',
  method: 'POST',
  path: '/_matrix/client/v3/user/{userId}/openid/request_token',
  aliases: ['/_matrix/client/r0/user/{userId}/openid/request_token'],
  auth: 'user',
  rateLimit: 'general',
  // The spec's body is an empty object, reserved for future use.
  body: AnyObject(),
  async handler({ services, requester, params }) {
    return ok(services.federationMembership.openId.issue(requester, params['userId']!));
  },
});

export const openIdEndpoints = [requestOpenIdToken];
