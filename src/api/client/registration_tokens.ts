import { missingParam } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { endpoint, queryParam } from '../define.js';

export const registrationTokenValidity = endpoint({
  id: 'registrationTokenValidity',
  method: 'GET',
  path: '/_matrix/client/v1/register/m.login.registration_token/validity',
  auth: 'none',
  // Its own limit (rc_registration_token_validity), applied by the service.
  rateLimit: 'none',
  async handler({ services, query, clientIp }) {
    const token = queryParam(query, 'token');
    if (token === undefined) throw missingParam("Missing 'token' query parameter");
    return ok({ valid: services.registration.checkTokenValidity(token, clientIp) });
  },
});

export const registrationTokensEndpoints = [registrationTokenValidity];
