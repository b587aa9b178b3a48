import { notFound } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

/**
 * `/.well-known/matrix/server`, served when `serve_server_wellknown` is on (as in Synapse):
 * delegates federation to the host and port of public_baseurl (443 when the URL has none), for
 * deployments where clients and servers reach us on 443 behind the server name's host.
 */
export const getServerWellKnown = endpoint({
  id: 'getWellKnown',
  method: 'GET',
  path: '/.well-known/matrix/server',
  auth: 'none',
  rateLimit: 'none',
  async handler({ services }) {
    if (!services.config.federation.serveServerWellKnown) throw notFound('No .well-known/matrix/server is configured');
    const base = new URL(services.config.publicBaseUrl ?? services.address.publicBaseUrl);
    const port = base.port !== '' ? base.port : base.protocol === 'https:' ? '443' : '80';
    return ok({ 'm.server': `${base.hostname}:${port}` });
  },
});

export const serverWellKnownEndpoints = [getServerWellKnown];
