import { AnyObject, endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const setAccountData = endpoint({
  id: 'setAccountData',
  method: 'PUT',
  path: '/_matrix/client/v3/user/{userId}/account_data/{type}',
  aliases: ['/_matrix/client/r0/user/{userId}/account_data/{type}'],
  auth: 'user',
  rateLimit: 'general',
  body: AnyObject(),
  async handler({ services, requester, params, body }) {
    services.accountData.setGlobal(requester, params['userId']!, params['type']!, body);
    return ok({});
  },
});

export const getAccountData = endpoint({
  id: 'getAccountData',
  method: 'GET',
  path: '/_matrix/client/v3/user/{userId}/account_data/{type}',
  aliases: ['/_matrix/client/r0/user/{userId}/account_data/{type}'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params }) {
    return ok(services.accountData.getGlobal(requester, params['userId']!, params['type']!));
  },
});

export const setAccountDataPerRoom = endpoint({
  id: 'setAccountDataPerRoom',
  method: 'PUT',
  path: '/_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}',
  aliases: ['/_matrix/client/r0/user/{userId}/rooms/{roomId}/account_data/{type}'],
  auth: 'user',
  rateLimit: 'general',
  body: AnyObject(),
  async handler({ services, requester, params, body }) {
    services.accountData.setRoom(requester, params['userId']!, params['roomId']!, params['type']!, body);
    return ok({});
  },
});

export const getAccountDataPerRoom = endpoint({
  id: 'getAccountDataPerRoom',
  method: 'GET',
  path: '/_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}',
  aliases: ['/_matrix/client/r0/user/{userId}/rooms/{roomId}/account_data/{type}'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params }) {
    return ok(services.accountData.getRoom(requester, params['userId']!, params['roomId']!, params['type']!));
  },
});

export const accountDataEndpoints = [setAccountData, getAccountData, setAccountDataPerRoom, getAccountDataPerRoom];
