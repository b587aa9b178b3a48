import { Type } from '@sinclair/typebox';
import { invalidParam, missingParam } from '../../services/errors.js';
import { AnyObject, endpoint, queryParam } from '../define.js';
import { ok } from '../endpoint.js';

/**
 * End-to-end encryption keys (spec module keys.yaml): upload, query, claim, changes. The r0
 * paths are the ones MSC3079's CoAP path enums g, h, i, j name.
 */

/** Users per query or claim, devices per user, devices per claim: far above any real room's needs. */
const MAX_USERS = 10_000;
const MAX_DEVICES_PER_USER = 1_000;
const MAX_CLAIMED_DEVICES = 10_000;
const Timeout = Type.Optional(Type.Integer({ minimum: 0 }));

export const uploadKeys = endpoint({
  id: 'uploadKeys',
  method: 'POST',
  path: '/_matrix/client/v3/keys/upload',
  aliases: ['/_matrix/client/r0/keys/upload'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({
    device_keys: Type.Optional(AnyObject()),
    one_time_keys: Type.Optional(AnyObject()),
    fallback_keys: Type.Optional(AnyObject()),
  }),
  async handler({ services, requester, body }) {
    return ok(services.e2e.upload.upload(requester, body));
  },
});

export const queryKeys = endpoint({
  id: 'queryKeys',
  method: 'POST',
  path: '/_matrix/client/v3/keys/query',
  aliases: ['/_matrix/client/r0/keys/query'],
  auth: 'user',
  rateLimit: 'none',
  body: Type.Object({
    device_keys: Type.Record(Type.String(), Type.Array(Type.String(), { maxItems: MAX_DEVICES_PER_USER }), { maxProperties: MAX_USERS }),
    timeout: Timeout,
  }),
  async handler({ services, requester, body }) {
    return ok(await services.e2e.query.query(requester.userId, body.device_keys, body.timeout));
  },
});

export const claimKeys = endpoint({
  id: 'claimKeys',
  method: 'POST',
  path: '/_matrix/client/v3/keys/claim',
  aliases: ['/_matrix/client/r0/keys/claim'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({
    one_time_keys: Type.Record(Type.String(), Type.Record(Type.String(), Type.String(), { maxProperties: MAX_DEVICES_PER_USER }), { maxProperties: MAX_USERS }),
    timeout: Timeout,
  }),
  async handler({ services, body }) {
    const devices = Object.values(body.one_time_keys).reduce((n, d) => n + Object.keys(d).length, 0);
    if (devices > MAX_CLAIMED_DEVICES) throw invalidParam(`At most ${MAX_CLAIMED_DEVICES} devices per claim`);
    return ok(await services.e2e.claim.claim(body.one_time_keys, body.timeout));
  },
});

export const getKeysChanges = endpoint({
  id: 'getKeysChanges',
  method: 'GET',
  path: '/_matrix/client/v3/keys/changes',
  aliases: ['/_matrix/client/r0/keys/changes'],
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, query }) {
    const from = queryParam(query, 'from');
    if (from === undefined) throw missingParam("Missing 'from'");
    // The spec requires `to`; Synapse reads up to now without one, and so do we.
    return ok(services.e2e.changes(requester.userId, from, queryParam(query, 'to')));
  },
});

export const keysEndpoints = [uploadKeys, queryKeys, claimKeys, getKeysChanges];
