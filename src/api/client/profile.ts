import { notFound } from '../../services/errors.js';
import type { Services } from '../../services/services.js';
import { serverOfUserId } from '../../services/user-ids.js';
import { ok } from '../endpoint.js';
import { AnyObject, endpoint } from '../define.js';

function isRemoteUser(services: Services, userId: string): boolean {
  const server = serverOfUserId(userId);
  return server !== undefined && server !== services.config.serverName;
}

export const getUserProfile = endpoint({
  id: 'getUserProfile',
  method: 'GET',
  path: '/_matrix/client/v3/profile/{userId}',
  aliases: ['/_matrix/client/r0/profile/{userId}'],
  auth: 'none',
  rateLimit: 'general',
  async handler({ services, params }) {
    const userId = params['userId']!;
    // Another server's user: asked over federation (query/profile).
    if (isRemoteUser(services, userId)) return ok(await services.federationMembership.queries.profile(userId));
    return ok(services.profiles.get(userId));
  },
});

export const getProfileField = endpoint({
  id: 'getProfileField',
  method: 'GET',
  path: '/_matrix/client/v3/profile/{userId}/{keyName}',
  aliases: ['/_matrix/client/r0/profile/{userId}/{keyName}'],
  auth: 'none',
  rateLimit: 'general',
  async handler({ services, params }) {
    const keyName = params['keyName']!;
    const userId = params['userId']!;
    if (isRemoteUser(services, userId)) {
      const value = (await services.federationMembership.queries.profile(userId, keyName))[keyName];
      if (value === undefined) throw notFound(`Profile field ${keyName} is not set`);
      return ok({ [keyName]: value });
    }
    return ok({ [keyName]: services.profiles.getField(userId, keyName) });
  },
});

export const setProfileField = endpoint({
  id: 'setProfileField',
  method: 'PUT',
  path: '/_matrix/client/v3/profile/{userId}/{keyName}',
  aliases: ['/_matrix/client/r0/profile/{userId}/{keyName}'],
  auth: 'user',
  rateLimit: 'general',
  body: AnyObject(),
  async handler({ services, requester, params, body }) {
    services.profiles.setField(requester, params['userId']!, params['keyName']!, body);
    return ok({});
  },
});

export const deleteProfileField = endpoint({
  id: 'deleteProfileField',
  method: 'DELETE',
  path: '/_matrix/client/v3/profile/{userId}/{keyName}',
  auth: 'user',
  rateLimit: 'general',
  async handler({ services, requester, params }) {
    services.profiles.deleteField(requester, params['userId']!, params['keyName']!);
    return ok({});
  },
});

export const profileEndpoints = [getUserProfile, getProfileField, setProfileField, deleteProfileField];
