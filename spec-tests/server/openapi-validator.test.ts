// The response checker every server test relies on must itself reject what the spec rejects;
// otherwise "every response is validated" would prove nothing.
import { describe, expect, it } from 'vitest';
import { OpenApiValidator } from '../support/openapi.js';

describe('OpenApiValidator', () => {
  const v = new OpenApiValidator();

  it('accepts bodies that match the documented schema, across $refs between files', () => {
    v.check('GET', '/_matrix/client/versions', 200, { versions: ['v1.1'] });
    v.check('POST', '/_matrix/client/v3/register', 401, { flows: [{ stages: ['m.login.dummy'] }], params: {}, session: 'x' });
    v.check('GET', '/_matrix/client/v3/capabilities', 200, { capabilities: { 'm.room_versions': { default: '12', available: { '12': 'stable' } } } });
    v.check('GET', '/.well-known/matrix/client', 200, { 'm.homeserver': { base_url: 'https://example.org' } });
    v.check('GET', '/_matrix/client/v3/sync', 200, { next_batch: 'x' });
  });

  it('rejects wrong types, missing required fields and the spec formats', () => {
    expect(() => v.check('GET', '/_matrix/client/versions', 200, { versions: 'x' })).toThrow(/does not match/);
    expect(() => v.check('POST', '/_matrix/client/v3/login', 200, { user_id: '@a:b', device_id: 'D' })).toThrow(/access_token/);
    // format: mx-user-id (and the pattern ^@).
    expect(() => v.check('GET', '/_matrix/client/v3/account/whoami', 200, { user_id: 'alice' })).toThrow();
    expect(() => v.check('GET', '/.well-known/matrix/client', 200, { 'm.homeserver': {} })).toThrow(/base_url/);
  });

  it('rejects success statuses the operation does not document, and paths outside the spec', () => {
    expect(() => v.check('POST', '/_matrix/client/v3/logout', 201, {})).toThrow(/not documented/);
    expect(() => v.check('GET', '/_matrix/client/v3/nope', 200, {})).toThrow(/no operation/);
    v.check('GET', '/_synapse/admin/v1/register', 200, { nonce: 'n' }, ['/_synapse/admin/']);
  });

  it('requires any error status to carry a Matrix error body', () => {
    v.check('GET', '/_matrix/client/v3/nope', 404, { errcode: 'M_UNRECOGNIZED' });
    v.check('POST', '/_matrix/client/v3/login', 413, { errcode: 'M_TOO_LARGE', error: 'big' });
    expect(() => v.check('GET', '/_matrix/client/v3/nope', 404, { error: 'x' })).toThrow();
    expect(() => v.check('POST', '/_matrix/client/v3/login', 429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 'soon' })).toThrow();
  });

  it('checks request bodies too, tolerating only the spec erratum on PDU origin', () => {
    const txn = { origin: 'a.example', origin_server_ts: 1, pdus: [] };
    v.checkRequest('PUT', '/_matrix/federation/v1/send/1', txn);
    expect(() => v.checkRequest('PUT', '/_matrix/federation/v1/send/1', { origin_server_ts: 1, pdus: [] })).toThrow(/origin/);
    expect(() => v.checkRequest('PUT', '/_matrix/federation/v1/send/1', { ...txn, pdus: 'x' })).toThrow(/does not match/);
    expect(() => v.checkRequest('PUT', '/_matrix/federation/v1/nowhere', {})).toThrow(/no operation/);
    const join = { type: 'm.room.member', state_key: '@a:b', sender: '@a:b', origin_server_ts: 1, content: { membership: 'join' } };
    v.checkRequest('PUT', '/_matrix/federation/v2/send_join/!r:b/$e', join);
    expect(() => v.checkRequest('PUT', '/_matrix/federation/v2/send_join/!r:b/$e', { ...join, sender: undefined })).toThrow(/sender/);
  });
});
