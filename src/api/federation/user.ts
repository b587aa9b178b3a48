import { Type } from '@sinclair/typebox';
import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

/**
 * Device lists and end-to-end keys of our users for other servers (server-server
 * user_devices.yaml, user_keys.yaml). Empty until Lattice has end-to-end encryption; see
 * services/federation/membership/user-keys.ts.
 */

export const getUserDevices = endpoint({
  id: 'getUserDevices',
  method: 'GET',
  path: '/_matrix/federation/v1/user/devices/{userId}',
  auth: 'server',
  rateLimit: 'none',
  async handler({ services, params }) {
    return ok(services.federationMembership.userKeys.devices(params['userId']!));
  },
});

export const queryUserEncryptionKeys = endpoint({
  id: 'queryUserEncryptionKeys',
  method: 'POST',
  path: '/_matrix/federation/v1/user/keys/query',
  auth: 'server',
  rateLimit: 'none',
  body: Type.Object({ device_keys: Type.Record(Type.String(), Type.Array(Type.String())) }),
  async handler({ services, body }) {
    return ok(services.federationMembership.userKeys.query(body.device_keys));
  },
});

export const claimUserEncryptionKeys = endpoint({
  id: 'claimUserEncryptionKeys',
  method: 'POST',
  path: '/_matrix/federation/v1/user/keys/claim',
  auth: 'server',
  rateLimit: 'none',
  body: Type.Object({ one_time_keys: Type.Record(Type.String(), Type.Record(Type.String(), Type.String())) }),
  async handler({ services }) {
    return ok(services.federationMembership.userKeys.claim());
  },
});

export const userEndpoints = [getUserDevices, queryUserEncryptionKeys, claimUserEncryptionKeys];
