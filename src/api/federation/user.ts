import { Type } from '@sinclair/typebox';
import { ok } from '../endpoint.js';
import { endpoint } from '../define.js';

/**
 * Device lists and end-to-end keys of our users for other servers (server-server
 * user_devices.yaml, user_keys.yaml); see services/federation/membership/user-keys.ts.
 */

/** Users per query or claim, and devices per user: far above any real room's needs. */
const MAX_USERS = 10_000;
const MAX_DEVICES = 1_000;

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
  body: Type.Object({ device_keys: Type.Record(Type.String(), Type.Array(Type.String(), { maxItems: MAX_DEVICES }), { maxProperties: MAX_USERS }) }),
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
  body: Type.Object({
    one_time_keys: Type.Record(Type.String(), Type.Record(Type.String(), Type.String(), { maxProperties: MAX_DEVICES }), { maxProperties: MAX_USERS }),
  }),
  async handler({ services, body }) {
    return ok(services.federationMembership.userKeys.claim(body.one_time_keys));
  },
});

export const userEndpoints = [getUserDevices, queryUserEncryptionKeys, claimUserEncryptionKeys];
