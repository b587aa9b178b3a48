import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

export const getWellknown = endpoint({
  id: 'getWellknown',
  method: 'GET',
  path: '/.well-known/matrix/client',
  auth: 'none',
  rateLimit: 'none',
  async handler({ services }) {
    return ok({ 'm.homeserver': { base_url: services.address.publicBaseUrl } });
  },
});

export const wellknownEndpoints = [getWellknown];
