// libcoap's coap-client-notls (an independent CoAP stack, as an unmodified sensor would run it)
// against the transport, with the recording stand-in dispatcher.
import { Decoder, Encoder } from 'cbor-x';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeCborBody, encodeCborBody } from '../../src/transport/coap/cbor-body.js';
import { startCoapServer, type CoapServer } from '../../src/transport/coap/server.js';
import { bigBody, fakeDispatch, type FakeDispatch } from './support/fake-dispatch.js';
import { libcoap } from './support/libcoap.js';

let fake: FakeDispatch;
let server: CoapServer;
let base: string;

beforeAll(async () => {
  fake = fakeDispatch();
  server = await startCoapServer({ host: '127.0.0.1', port: 0, dispatch: fake.dispatch });
  base = `coap://127.0.0.1:${server.address.port}`;
});
afterAll(async () => server.close());
beforeEach(() => {
  fake.calls.length = 0;
});

describe('libcoap coap-client-notls', () => {
  it('GET /0 with Accept CBOR', async () => {
    const result = await libcoap({ uri: `${base}/0`, accept: 60 });
    expect(result.exitCode).toBe(0);
    expect(decodeCborBody(result.payload).value).toMatchObject({ method: 'GET', path: '/_matrix/client/versions' });
  });

  it('PUT /9/... with a 3 KB CBOR body: Block1 from libcoap (new token per block) is reassembled', async () => {
    const body = { msgtype: 'm.text', body: 'z'.repeat(3000) };
    const result = await libcoap({
      method: 'put',
      uri: `${base}/9/!room:localhost/m.room.message/txn1`,
      payload: encodeCborBody(body, false),
      contentFormat: 60,
      options: [[256, 'good-token']],
    });
    expect(result.stderr).toBe('');
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]).toMatchObject({
      method: 'PUT',
      path: '/_matrix/client/v3/rooms/!room%3Alocalhost/send/m.room.message/txn1',
      accessToken: 'good-token',
      body,
    });
    expect(decodeCborBody(result.payload).value).toMatchObject({ access_token: 'good-token' });
  });

  it('Block2 download with 64-byte blocks (libcoap changes tokens between blocks): one body, one execution', async () => {
    const result = await libcoap({ uri: `${base}/big?bytes=5000`, blockSize: 64 });
    expect(result.stderr).toBe('');
    expect(decodeCborBody(result.payload).value).toEqual(bigBody(5000, 1));
    expect(fake.calls).toHaveLength(1);
  });

  it('integer keys in → integer keys out', async () => {
    const payload = new Encoder({ useRecords: false, mapsAsObjects: false }).encode(new Map<number, string>([[2, 'm.login.password'], [69, 'secret']]));
    const result = await libcoap({ method: 'post', uri: `${base}/1`, payload, contentFormat: 60 });
    expect(fake.calls[0]?.body).toEqual({ type: 'm.login.password', password: 'secret' });
    const raw = new Decoder({ mapsAsObjects: false, useRecords: false }).decode(result.payload) as Map<unknown, unknown>;
    expect(raw.get(27)).toEqual(new Map<number, string>([[2, 'm.login.password'], [69, 'secret']]));
  });

  it('unknown critical option → 4.02, never dispatched', async () => {
    const result = await libcoap({ uri: `${base}/0`, options: [[65001, 'x']] });
    expect(result.stderr).toMatch(/^4\.02 /);
    expect(fake.calls).toHaveLength(0);
  });

  it('missing or wrong token → 4.01 when the dispatcher says 401', async () => {
    expect((await libcoap({ uri: `${base}/whoami` })).stderr).toMatch(/^4\.01 .*M_MISSING_TOKEN/);
    expect((await libcoap({ uri: `${base}/whoami`, options: [[256, 'Bearer wrong']] })).stderr).toMatch(/^4\.01 .*M_UNKNOWN_TOKEN/);
    const ok = await libcoap({ uri: `${base}/whoami`, options: [[256, 'Bearer good-token']] });
    expect(decodeCborBody(ok.payload).value).toEqual({ user_id: '@alice:localhost', device_id: 'DEV' });
  });
});

describe('libcoap over IPv6', () => {
  it('GET /0 on [::1]', async () => {
    const v6 = await startCoapServer({ host: '::1', port: 0, dispatch: fake.dispatch });
    try {
      const result = await libcoap({ uri: `coap://[::1]:${v6.address.port}/0` });
      expect(decodeCborBody(result.payload).value).toMatchObject({ path: '/_matrix/client/versions', client_ip: '::1' });
    } finally {
      await v6.close();
    }
  });
});
