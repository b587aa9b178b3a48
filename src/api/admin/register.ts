import { Type } from '@sinclair/typebox';
import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

/**
 * Synapse's shared-secret registration (`register_new_matrix_user` and many deploy scripts use
 * it): GET a nonce, then POST the user with an HMAC over it keyed by registration_shared_secret.
 */

export const getRegisterNonce = endpoint({
  id: 'synapseAdminRegisterNonce',
  method: 'GET',
  path: '/_synapse/admin/v1/register',
  auth: 'shared-secret',
  rateLimit: 'registration',
  async handler({ services }) {
    return ok({ nonce: services.registration.newNonce() });
  },
});

export const registerWithSharedSecret = endpoint({
  id: 'synapseAdminRegister',
  method: 'POST',
  path: '/_synapse/admin/v1/register',
  auth: 'shared-secret',
  rateLimit: 'none',
  body: Type.Object({
    nonce: Type.String(),
    username: Type.String(),
    password: Type.String(),
    mac: Type.String(),
    admin: Type.Optional(Type.Boolean()),
    displayname: Type.Optional(Type.String()),
    user_type: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  }),
  async handler({ services, body }) {
    return ok(await services.registration.registerWithSharedSecret(body));
  },
});

export const adminRegisterEndpoints = [getRegisterNonce, registerWithSharedSecret];
