import { Type } from '@sinclair/typebox';
import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

export const refresh = endpoint({
  id: 'refresh',
  method: 'POST',
  path: '/_matrix/client/v3/refresh',
  aliases: ['/_matrix/client/v1/refresh'],
  auth: 'none',
  rateLimit: 'general',
  body: Type.Object({ refresh_token: Type.String() }),
  async handler({ services, body }) {
    const r = services.sessions.refresh(body.refresh_token);
    return ok({ access_token: r.accessToken, refresh_token: r.refreshToken, expires_in_ms: r.expiresInMs });
  },
});

export const refreshEndpoints = [refresh];
