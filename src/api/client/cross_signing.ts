import { Type } from '@sinclair/typebox';
import { AnyObject, AuthData, endpoint } from '../define.js';
import { ok } from '../endpoint.js';

/**
 * Cross-signing (spec module cross_signing.yaml). device_signing/upload came after r0 (Synapse
 * serves it under v3 only); signatures/upload has an r0 spelling.
 */

export const uploadCrossSigningKeys = endpoint({
  id: 'uploadCrossSigningKeys',
  method: 'POST',
  path: '/_matrix/client/v3/keys/device_signing/upload',
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({
    master_key: Type.Optional(AnyObject()),
    self_signing_key: Type.Optional(AnyObject()),
    user_signing_key: Type.Optional(AnyObject()),
    auth: Type.Optional(AuthData()),
  }),
  async handler({ services, requester, body, clientIp }) {
    await services.e2e.crossSigning.upload(requester, body, clientIp);
    return ok({});
  },
});

export const uploadCrossSigningSignatures = endpoint({
  id: 'uploadCrossSigningSignatures',
  method: 'POST',
  path: '/_matrix/client/v3/keys/signatures/upload',
  aliases: ['/_matrix/client/r0/keys/signatures/upload'],
  auth: 'user',
  rateLimit: 'general',
  body: Type.Record(Type.String(), Type.Record(Type.String(), AnyObject())),
  async handler({ services, requester, body }) {
    return ok(await services.e2e.signatures.upload(requester.userId, body));
  },
});

export const crossSigningEndpoints = [uploadCrossSigningKeys, uploadCrossSigningSignatures];
