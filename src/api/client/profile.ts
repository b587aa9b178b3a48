import { ok } from '../endpoint.js';
import { AnyObject, endpoint } from '../define.js';

export const getUserProfile = endpoint({
  id: 'getUserProfile',
  method: 'GET',
  path: '/_matrix/client/v3/profile/{userId}',
  aliases: ['/_matrix/client/r0/profile/{userId}'],
  auth: 'none',
  rateLimit: 'general',
  async handler({ services, params }) {
    return ok(services.profiles.get(params['userId']!));
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
    return ok({ [keyName]: services.profiles.getField(params['userId']!, keyName) });
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
