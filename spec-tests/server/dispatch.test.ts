// The shared request path without any transport: what both HTTP and CoAP rely on.
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoint } from '../../src/api/define.js';
import { createDispatcher, type AnyEndpoint, type IncomingRequest } from '../../src/api/dispatch.js';
import { ok } from '../../src/api/endpoint.js';
import { forbidden } from '../../src/services/errors.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

function request(partial: Partial<IncomingRequest> & Pick<IncomingRequest, 'method' | 'path'>): IncomingRequest {
  return { query: new URLSearchParams(), body: undefined, accessToken: undefined, clientIp: '10.0.0.1', transport: 'coap', signal: new AbortController().signal, ...partial };
}

describe('dispatch over the real endpoint table', () => {
  it('takes decoded bodies (as CoAP hands them) and raw JSON bytes alike', async () => {
    const decoded = await server.homeserver.dispatch(request({ method: 'POST', path: '/_matrix/client/v3/register', body: { username: 'viacoap', password: 'pw', auth: { type: 'm.login.dummy' } } }));
    expect(decoded.status).toBe(200);
    const bytes = new TextEncoder().encode(JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'viacoap' }, password: 'pw' }));
    const login = await server.homeserver.dispatch(request({ method: 'POST', path: '/_matrix/client/v3/login', body: bytes }));
    expect(login.status).toBe(200);
    const token = (login.body as { access_token: string }).access_token;
    const whoami = await server.homeserver.dispatch(request({ method: 'GET', path: '/_matrix/client/v3/account/whoami', accessToken: token }));
    expect(whoami).toMatchObject({ status: 200, body: { user_id: '@viacoap:localhost' } });
  });

  it('answers 404 and 405 with M_UNRECOGNIZED', async () => {
    expect(await server.homeserver.dispatch(request({ method: 'GET', path: '/_matrix/client/v3/nothing' }))).toMatchObject({ status: 404, body: { errcode: 'M_UNRECOGNIZED' } });
    expect(await server.homeserver.dispatch(request({ method: 'POST', path: '/_matrix/client/versions' }))).toMatchObject({ status: 405, body: { errcode: 'M_UNRECOGNIZED' } });
  });
});

describe('dispatch with its own table', () => {
  const endpoints = [
    endpoint({ id: 'boom', method: 'GET', path: '/boom', auth: 'none', rateLimit: 'none', async handler() { throw new TypeError('bug'); } }),
    endpoint({ id: 'deny', method: 'GET', path: '/deny', auth: 'none', rateLimit: 'none', async handler() { throw forbidden('no'); } }),
    endpoint({
      id: 'echo',
      method: 'PUT',
      path: '/echo/{a}/{b}',
      auth: 'none',
      rateLimit: 'none',
      body: Type.Object({ n: Type.Integer({ minimum: 1 }) }),
      async handler({ params, body, query, transport }) {
        return ok({ a: params['a']!, b: params['b']!, n: body.n, q: query.get('q'), transport });
      },
    }),
    endpoint({ id: 'fed', method: 'GET', path: '/fed', auth: 'server', rateLimit: 'none', async handler() { return ok({}); } }),
    endpoint({ id: 'raw', method: 'POST', path: '/raw', auth: 'none', rateLimit: 'none', rawBody: true, async handler({ body }) { return { status: 200, body }; } }),
  ] as AnyEndpoint[];
  let dispatch: ReturnType<typeof createDispatcher>;
  beforeAll(() => {
    dispatch = createDispatcher(endpoints, server.homeserver.services);
  });

  it('turns exceptions into 500 M_UNKNOWN and MatrixErrors into their response, never throwing', async () => {
    expect(await dispatch(request({ method: 'GET', path: '/boom' }))).toEqual({ status: 500, body: { errcode: 'M_UNKNOWN', error: 'Internal server error' } });
    expect(await dispatch(request({ method: 'GET', path: '/deny' }))).toEqual({ status: 403, body: { errcode: 'M_FORBIDDEN', error: 'no' } });
  });

  it('decodes path parameters, passes query and transport, validates the body', async () => {
    const res = await dispatch(request({ method: 'PUT', path: '/echo/%40u%3Ahs/a%2Fb', query: new URLSearchParams('q=1'), body: { n: 2 } }));
    expect(res).toEqual({ status: 200, body: { a: '@u:hs', b: 'a/b', n: 2, q: '1', transport: 'coap' } });
    expect(await dispatch(request({ method: 'PUT', path: '/echo/x/y', body: { n: 0 } }))).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
    expect(await dispatch(request({ method: 'PUT', path: '/echo/x/y', body: [1] }))).toMatchObject({ status: 400, body: { errcode: 'M_NOT_JSON' } });
    expect(await dispatch(request({ method: 'PUT', path: '/echo/x/y' }))).toMatchObject({ status: 400, body: { errcode: 'M_MISSING_PARAM' } });
  });

  it('refuses federation-authenticated endpoints until X-Matrix exists; passes raw bodies through', async () => {
    expect((await dispatch(request({ method: 'GET', path: '/fed' }))).status).toBe(401);
    const raw = await dispatch(request({ method: 'POST', path: '/raw', body: Uint8Array.of(1, 2, 3) }));
    expect(raw).toEqual({ status: 200, body: Uint8Array.of(1, 2, 3) });
  });
});
