// The transport driven by node `coap` as a client (as a Matrix sensor library would use it),
// against a recording stand-in dispatcher: CBOR, JSON, path enums, integer keys, tokens, blocks.
import { Decoder, Encoder } from 'cbor-x';
import type { Agent } from 'coap';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeCborBody, encodeCborBody } from '../../src/transport/coap/cbor-body.js';
import { startCoapServer, type CoapServer } from '../../src/transport/coap/server.js';
import { bigBody, fakeDispatch, type FakeDispatch } from './support/fake-dispatch.js';
import { coapRequest, newAgent, type CoapReply, type RequestSpec } from './support/node-coap-client.js';

const CBOR = { 'Content-Format': Buffer.of(60) };
const rawDecoder = new Decoder({ mapsAsObjects: false, useRecords: false });
const rawEncoder = new Encoder({ useRecords: false, mapsAsObjects: false, variableMapSize: true });

let fake: FakeDispatch;
let server: CoapServer;
let client: { agent: Agent; close(): void };

beforeAll(async () => {
  fake = fakeDispatch();
  server = await startCoapServer({ host: '127.0.0.1', port: 0, dispatch: fake.dispatch, maxBodyBytes: 16 * 1024 });
});
afterAll(async () => server.close());
beforeEach(() => {
  client = newAgent();
  fake.calls.length = 0;
});
afterEach(() => client.close());

function send(spec: RequestSpec): Promise<CoapReply> {
  return coapRequest(client.agent, '127.0.0.1', server.address.port, spec);
}

function json(reply: CoapReply): Record<string, unknown> {
  return decodeCborBody(reply.payload).value as Record<string, unknown>;
}

describe('CoAP requests through node-coap', () => {
  it('GET with a path enum reaches the v3 path; the answer is CBOR', async () => {
    const reply = await send({ pathname: '/0' });
    expect(reply.code).toBe('2.05');
    expect(reply.option('Content-Format')).toBe('application/cbor');
    expect(reply.option('Max-Age')).toBe(0); // a Matrix answer is not cacheable for CoAP's default 60 s
    expect(json(reply)).toMatchObject({ method: 'GET', path: '/_matrix/client/versions' });

    await send({ pathname: '/7', query: 'since=s72&timeout=0' });
    expect(fake.calls[1]).toMatchObject({ method: 'GET', path: '/_matrix/client/v3/sync' });
    expect(fake.calls[1]?.query.get('since')).toBe('s72');
  });

  it('PUT /9/... with integer keys: expanded for the handler, answered with integer keys', async () => {
    const body = rawEncoder.encode(new Map<number, string>([[28, 'm.text'], [27, 'temp 21.5']]));
    const reply = await send({ method: 'PUT', pathname: '/9/!room:localhost/m.room.message/txn1', payload: body, options: CBOR });
    expect(reply.code).toBe('2.05');
    expect(fake.calls[0]).toMatchObject({
      method: 'PUT',
      path: '/_matrix/client/v3/rooms/!room%3Alocalhost/send/m.room.message/txn1',
      body: { msgtype: 'm.text', body: 'temp 21.5' },
    });
    const raw = rawDecoder.decode(reply.payload) as Map<unknown, unknown>;
    expect(raw.get(27)).toEqual(new Map([[28, 'm.text'], [27, 'temp 21.5']])); // "body" → 27, inside too
    expect(raw.get('path')).toBe('/_matrix/client/v3/rooms/!room%3Alocalhost/send/m.room.message/txn1');
  });

  it('string keys in, string keys out; option 257 = 1 asks for integer keys', async () => {
    const plain = await send({ method: 'POST', pathname: '/_matrix/client/v3/login', payload: encodeCborBody({ type: 'm.login.password' }, false), options: CBOR });
    expect((rawDecoder.decode(plain.payload) as Map<unknown, unknown>).has('body')).toBe(true);
    expect(fake.calls[0]?.body).toEqual({ type: 'm.login.password' });

    const asked = await send({ pathname: '/_matrix/client/versions', options: { '257': Buffer.of(1) } });
    expect((rawDecoder.decode(asked.payload) as Map<unknown, unknown>).has(27)).toBe(true);
  });

  it('JSON in (Content-Format 50) → JSON out; Accept 50 → JSON out', async () => {
    const reply = await send({ method: 'POST', pathname: '/1', payload: Buffer.from('{"type":"m.login.password"}'), options: { 'Content-Format': Buffer.of(50) } });
    expect(reply.option('Content-Format')).toBe('application/json');
    expect(JSON.parse(reply.payload.toString())).toMatchObject({ path: '/_matrix/client/v3/login', body: { type: 'm.login.password' } });

    const accept = await send({ pathname: '/0', options: { Accept: Buffer.of(50) } });
    expect(JSON.parse(accept.payload.toString())).toMatchObject({ path: '/_matrix/client/versions' });
  });

  it('an undecodable body is 4.00 M_NOT_JSON with the error in CBOR, and never dispatched', async () => {
    const reply = await send({ method: 'POST', pathname: '/1', payload: Buffer.from([0xff, 0x00]), options: CBOR });
    expect(reply.code).toBe('4.00');
    expect(reply.option('Content-Format')).toBe('application/cbor');
    expect(json(reply)).toMatchObject({ errcode: 'M_NOT_JSON' });
    expect(fake.calls).toHaveLength(0);
  });

  it('Block2: a 20 KB body arrives whole, from one execution of the handler', async () => {
    const reply = await send({ pathname: '/big', query: 'bytes=20000' });
    expect(reply.code).toBe('2.05');
    expect(json(reply)).toEqual(bigBody(20000, 1));
    expect(fake.calls).toHaveLength(1);
  });

  it('Block1: a 3 KB body is reassembled and dispatched once', async () => {
    const text = 'x'.repeat(3 * 1024);
    const payload = encodeCborBody({ msgtype: 'm.text', body: text }, false);
    const reply = await send({ method: 'PUT', pathname: '/9/!r:localhost/m.room.message/big1', payload, options: { ...CBOR, Block1: Buffer.of(6) } });
    expect(reply.code).toBe('2.05');
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]?.body).toEqual({ msgtype: 'm.text', body: text });
  });

  it('access token in option 256 ("Bearer " optional), sticky on loopback, dropped when refused', async () => {
    expect(json(await send({ pathname: '/whoami' }))).toMatchObject({ errcode: 'M_MISSING_TOKEN' });
    const withBearer = await send({ pathname: '/whoami', options: { '256': Buffer.from('Bearer good-token') } });
    expect(withBearer.code).toBe('2.05');
    expect(json(withBearer)).toEqual({ user_id: '@alice:localhost', device_id: 'DEV' });
    expect((await send({ pathname: '/whoami' })).code).toBe('2.05'); // remembered

    const wrong = await send({ pathname: '/whoami', options: { '256': Buffer.from('stolen') } });
    expect(wrong.code).toBe('4.01');
    expect(json(wrong)).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN' });
    // The newest token replaced the old one (MSC3079), and a refused token is not remembered.
    expect(json(await send({ pathname: '/whoami' }))).toMatchObject({ errcode: 'M_MISSING_TOKEN' });
  });

  it('429 → 4.29 with Max-Age from retry_after_ms, error body in CBOR', async () => {
    const reply = await send({ pathname: '/limited' });
    expect(reply.code).toBe('4.29');
    expect(reply.option('Max-Age')).toBe(2);
    expect(json(reply)).toMatchObject({ errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 1500 });
  });
});

describe('token stickiness needs a safe endpoint', () => {
  it('without it, every request must carry the token', async () => {
    const strict = await startCoapServer({ host: '127.0.0.1', port: 0, dispatch: fake.dispatch, canRememberToken: () => false });
    try {
      const at = (spec: RequestSpec): Promise<CoapReply> => coapRequest(client.agent, '127.0.0.1', strict.address.port, spec);
      expect((await at({ pathname: '/whoami', options: { '256': Buffer.from('good-token') } })).code).toBe('2.05');
      const again = await at({ pathname: '/whoami' });
      expect(again.code).toBe('4.01');
      expect(decodeCborBody(again.payload).value).toMatchObject({ errcode: 'M_MISSING_TOKEN' });
    } finally {
      await strict.close();
    }
  });
});
