import { Type } from '@sinclair/typebox';
import { LOGIN_TYPE_PASSWORD } from '../../services/login.js';
import { checkDeviceId, sessionJson } from '../../services/registration.js';
import { ok } from '../endpoint.js';
import { AnyObject, endpoint } from '../define.js';

export const getLoginFlows = endpoint({
  id: 'getLoginFlows',
  method: 'GET',
  path: '/_matrix/client/v3/login',
  aliases: ['/_matrix/client/r0/login'],
  auth: 'none',
  rateLimit: 'none',
  async handler() {
    return ok({ flows: [{ type: LOGIN_TYPE_PASSWORD }] });
  },
});

export const login = endpoint({
  id: 'login',
  method: 'POST',
  path: '/_matrix/client/v3/login',
  aliases: ['/_matrix/client/r0/login'],
  auth: 'none',
  rateLimit: 'login',
  body: Type.Object({
    type: Type.String(),
    identifier: Type.Optional(AnyObject()),
    user: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    device_id: Type.Optional(Type.String()),
    initial_device_display_name: Type.Optional(Type.String()),
    refresh_token: Type.Optional(Type.Boolean()),
  }),
  async handler({ services, body, clientIp }) {
    checkDeviceId(body.device_id);
    const session = await services.login.login(body, clientIp);
    return ok(sessionJson(session, services.config.serverName));
  },
});

export const loginEndpoints = [getLoginFlows, login];
