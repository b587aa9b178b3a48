import { Type } from '@sinclair/typebox';
import { endpoint } from '../define.js';
import { ok } from '../endpoint.js';

export const searchUserDirectory = endpoint({
  id: 'searchUserDirectory',
  method: 'POST',
  path: '/_matrix/client/v3/user_directory/search',
  aliases: ['/_matrix/client/r0/user_directory/search'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ search_term: Type.String(), limit: Type.Optional(Type.Integer({ minimum: 0 })) }),
  async handler({ services, requester, body }) {
    return ok(services.userDirectory.search(requester, body.search_term, body.limit));
  },
});

export const usersEndpoints = [searchUserDirectory];
