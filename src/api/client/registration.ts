import { Type } from '@sinclair/typebox';
import { missingParam } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { AuthData, endpoint, queryParam } from '../define.js';

export const register = endpoint({
  id: 'register',
  method: 'POST',
  path: '/_matrix/client/v3/register',
  aliases: ['/_matrix/client/r0/register'],
  auth: 'none',
  rateLimit: 'registration',
  body: Type.Object({
    auth: Type.Optional(AuthData()),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    device_id: Type.Optional(Type.String()),
    initial_device_display_name: Type.Optional(Type.String()),
    inhibit_login: Type.Optional(Type.Boolean()),
    refresh_token: Type.Optional(Type.Boolean()),
  }),
  async handler({ services, body, query, clientIp }) {
    const kind = queryParam(query, 'kind') ?? 'user';
    return ok(await services.registration.register(body, kind, clientIp));
  },
});

export const checkUsernameAvailability = endpoint({
  id: 'checkUsernameAvailability',
  method: 'GET',
  path: '/_matrix/client/v3/register/available',
  aliases: ['/_matrix/client/r0/register/available'],
  auth: 'none',
  rateLimit: 'general',
  async handler({ services, query }) {
    const username = queryParam(query, 'username');
    if (username === undefined) throw missingParam("Missing 'username' query parameter");
    services.registration.checkAvailable(username);
    return ok({ available: true });
  },
});

export const registrationEndpoints = [register, checkUsernameAvailability];
