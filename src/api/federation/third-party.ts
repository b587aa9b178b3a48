import { Type } from '@sinclair/typebox';
import { ok } from '../endpoint.js';
import { AnyJson, AnyObject, endpoint } from '../define.js';

/**
 * Third-party invites (server-server third_party_invite.yaml). onbind comes from an identity
 * server, which does not sign with X-Matrix: what it vouches for is checked by the auth rules
 * (its signature against the public keys in the room's m.room.third_party_invite).
 */

export const onBindThirdPartyIdentifier = endpoint({
  id: 'onBindThirdPartyIdentifier',
  method: 'PUT',
  path: '/_matrix/federation/v1/3pid/onbind',
  auth: 'none',
  rateLimit: 'general',
  body: Type.Object({
    medium: Type.String(),
    address: Type.String(),
    mxid: Type.String(),
    invites: Type.Array(AnyJson()),
  }),
  async handler({ services, body }) {
    return ok(await services.federationMembership.thirdPartyInvites.onBind(body));
  },
});

export const exchangeThirdPartyInvite = endpoint({
  id: 'exchangeThirdPartyInvite',
  method: 'PUT',
  path: '/_matrix/federation/v1/exchange_third_party_invite/{roomId}',
  auth: 'server',
  rateLimit: 'none',
  body: AnyObject(),
  async handler({ services, params, body, origin }) {
    return ok(await services.federationMembership.thirdPartyInvites.exchange(params['roomId']!, body, origin));
  },
});

export const thirdPartyEndpoints = [onBindThirdPartyIdentifier, exchangeThirdPartyInvite];
