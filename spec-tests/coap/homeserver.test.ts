// End to end over CoAP against the real homeserver (storage, services, the shared dispatcher):
// register, log in, whoami, send with a path enum, log out — with node-coap and libcoap.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder, Encoder } from 'cbor-x';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigFile, resolveConfig } from '../../src/config.js';
import { createHomeserver, type Homeserver } from '../../src/homeserver.js';
import { decodeCborBody, encodeCborBody } from '../../src/transport/coap/cbor-body.js';
import { libcoap } from './support/libcoap.js';
import { RawPeer } from './support/raw-client.js';
import { coapRequest, newAgent, type CoapReply, type RequestSpec } from './support/node-coap-client.js';

const CBOR = { 'Content-Format': Buffer.of(60) };
const generous = { per_second: 1000, burst_count: 1000 };

let dataDir: string;
let homeserver: Homeserver;
let port: number;
let client: ReturnType<typeof newAgent>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lattice-coap-e2e-'));
  const file = parseConfigFile({
    rc_registration: generous,
    rc_login: { address: generous, account: generous, failed_attempts: generous },
    rc_message: generous,
  });
  const config = resolveConfig(file, { dataDir, http: ['127.0.0.1:0'], coap: ['127.0.0.1:0'] });
  homeserver = createHomeserver(config, { logger: pino({ level: 'silent' }) });
  const started = await homeserver.start();
  port = started.coap[0]!.port;
  client = newAgent();
});

afterAll(async () => {
  client.close();
  await homeserver.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function send(spec: RequestSpec): Promise<CoapReply> {
  return coapRequest(client.agent, '127.0.0.1', port, spec);
}
function body(reply: CoapReply): Record<string, unknown> {
  return decodeCborBody(reply.payload).value as Record<string, unknown>;
}

describe('Matrix over CoAP against the real homeserver', () => {
  let accessToken = '';

  it('/versions via /0 advertises MSC3079', async () => {
    const reply = await send({ pathname: '/0' });
    expect(reply.code).toBe('2.05');
    expect(body(reply)).toMatchObject({
      unstable_features: { 'org.matrix.msc3079.low_bandwidth': true },
      'org.matrix.msc3079.low_bandwidth': { coap: port, cbor_enum_version: 1, coap_enum_version: 1 },
    });
  });

  it('registers (UIA dummy) with /4 and CBOR', async () => {
    const first = await send({ method: 'POST', pathname: '/4', payload: encodeCborBody({ username: 'sensor', password: 'pw-sensor-1' }, false), options: CBOR });
    expect(first.code).toBe('4.01');
    const session = body(first)['session'];
    expect(typeof session).toBe('string');
    const done = await send({
      method: 'POST',
      pathname: '/4',
      payload: encodeCborBody({ username: 'sensor', password: 'pw-sensor-1', auth: { type: 'm.login.dummy', session: session as string } }, false),
      options: CBOR,
    });
    expect(done.code).toBe('2.05');
    expect(body(done)).toMatchObject({ user_id: '@sensor:localhost' });
  });

  it('logs in with integer keys (/1) and gets integer keys back', async () => {
    const login = new Encoder({ useRecords: false, mapsAsObjects: false }).encode(
      new Map<number, unknown>([
        [2, 'm.login.password'],
        [65, new Map<string | number, string>([[2, 'm.id.user'], [66, 'sensor']])],
        [69, 'pw-sensor-1'],
      ]),
    );
    const reply = await send({ method: 'POST', pathname: '/1', payload: login, options: CBOR });
    expect(reply.code).toBe('2.05');
    const raw = new Decoder({ mapsAsObjects: false, useRecords: false }).decode(reply.payload) as Map<unknown, unknown>;
    expect(raw.get(7)).toBe('@sensor:localhost'); // user_id
    expect(typeof raw.get(73)).toBe('string'); // access_token
    accessToken = raw.get(73) as string;
  });

  it('whoami with the token in option 256, then sticky without it', async () => {
    const reply = await send({ pathname: '/_matrix/client/v3/account/whoami', options: { '256': Buffer.from(accessToken) } });
    expect(reply.code).toBe('2.05');
    expect(body(reply)).toMatchObject({ user_id: '@sensor:localhost' });
    expect((await send({ pathname: '/_matrix/client/v3/account/whoami' })).code).toBe('2.05');
  });

  it('libcoap: whoami with the token, and 4.01 with a wrong one', async () => {
    const ok = await libcoap({ uri: `coap://127.0.0.1:${port}/_matrix/client/v3/account/whoami`, options: [[256, `Bearer ${accessToken}`]] });
    expect(decodeCborBody(ok.payload).value).toMatchObject({ user_id: '@sensor:localhost' });
    const wrong = await libcoap({ uri: `coap://127.0.0.1:${port}/_matrix/client/v3/account/whoami`, options: [[256, 'syt_not_a_token']] });
    expect(wrong.stderr).toMatch(/^4\.01 .*M_UNKNOWN_TOKEN/);
  });

  it('path enums with parameters: displayname via /U, profile via /W', async () => {
    const user = '@sensor:localhost';
    const put = await send({ method: 'PUT', pathname: `/U/${user}`, payload: encodeCborBody({ displayname: 'Greenhouse 3' }, false), options: CBOR });
    expect(put.code).toBe('2.05');
    expect(body(await send({ pathname: `/W/${user}` }))).toMatchObject({ displayname: 'Greenhouse 3' });
  });

  it('libcoap: a 3 KB filter up with Block1 (/5), back down with 64-byte Block2 blocks (/6)', async () => {
    const filter = { room: { timeline: { limit: 1, not_types: Array.from({ length: 120 }, (_, i) => `org.example.sensor.kind${i}`) } } };
    const upload = encodeCborBody(filter, false);
    expect(upload.length).toBeGreaterThan(3000);
    const token: ReadonlyArray<readonly [number, string]> = [[256, accessToken]];
    const created = await libcoap({ method: 'post', uri: `coap://127.0.0.1:${port}/5/@sensor:localhost`, payload: upload, contentFormat: 60, options: token });
    expect(created.stderr).toBe('');
    const filterId = (decodeCborBody(created.payload).value as Record<string, unknown>)['filter_id'];
    expect(typeof filterId).toBe('string');

    const fetched = await libcoap({ uri: `coap://127.0.0.1:${port}/6/@sensor:localhost/${String(filterId)}`, blockSize: 64, options: token });
    expect(fetched.stderr).toBe('');
    expect(fetched.payload.length).toBeGreaterThan(3000);
    expect(decodeCborBody(fetched.payload).value).toEqual(filter);
  });

  it('libcoap: logs in with a JSON body via /1 and the new token works', async () => {
    const login = { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'sensor' }, password: 'pw-sensor-1' };
    const reply = await libcoap({ method: 'post', uri: `coap://127.0.0.1:${port}/1`, payload: Buffer.from(JSON.stringify(login)), contentFormat: 50, accept: 60 });
    expect(reply.stderr).toBe('');
    const token = (decodeCborBody(reply.payload).value as Record<string, unknown>)['access_token'];
    expect(typeof token).toBe('string');
    const whoami = await libcoap({ uri: `coap://127.0.0.1:${port}/_matrix/client/v3/account/whoami`, options: [[256, String(token)]] });
    expect(decodeCborBody(whoami.payload).value).toMatchObject({ user_id: '@sensor:localhost' });
  });

  it('libcoap: create a room (/G), send a 3 KB event with Block1 (/9), read it back in a Block2 sync (/7)', async () => {
    const token: ReadonlyArray<readonly [number, string]> = [[256, accessToken]];
    const created = await libcoap({ method: 'post', uri: `coap://127.0.0.1:${port}/G`, payload: encodeCborBody({ name: 'greenhouse' }, false), contentFormat: 60, options: token });
    expect(created.stderr).toBe('');
    const roomId = (decodeCborBody(created.payload).value as Record<string, unknown>)['room_id'];
    expect(typeof roomId).toBe('string');

    // /B is /rooms/{roomId}/state: a bare JSON array in the spec, CBOR here like every body.
    const state = await libcoap({ uri: `coap://127.0.0.1:${port}/B/${encodeURIComponent(String(roomId))}`, blockSize: 256, options: token });
    expect(state.stderr).toBe('');
    const stateEvents = decodeCborBody(state.payload).value as { type: string }[];
    expect(Array.isArray(stateEvents)).toBe(true);
    expect(stateEvents.map((e) => e.type)).toContain('m.room.create');

    const reading = { msgtype: 'm.text', body: 'soil moisture '.repeat(230) };
    const upload = encodeCborBody(reading, false);
    expect(upload.length).toBeGreaterThan(3000);
    const sent = await libcoap({
      method: 'put',
      uri: `coap://127.0.0.1:${port}/9/${encodeURIComponent(String(roomId))}/m.room.message/reading-1`,
      payload: upload,
      contentFormat: 60,
      blockSize: 256,
      options: token,
    });
    expect(sent.stderr).toBe('');
    const eventId = (decodeCborBody(sent.payload).value as Record<string, unknown>)['event_id'];
    expect(typeof eventId).toBe('string');

    const synced = await libcoap({ uri: `coap://127.0.0.1:${port}/7?timeout=0`, blockSize: 64, options: token });
    expect(synced.stderr).toBe('');
    expect(synced.payload.length).toBeGreaterThan(3000);
    const sync = decodeCborBody(synced.payload).value as { rooms: { join: Record<string, { timeline: { events: { content: unknown }[] } }> } };
    const events = sync.rooms.join[String(roomId)]!.timeline.events;
    expect(events.map((e) => e.content)).toContainEqual(reading);
  });

  it('a duplicated CON datagram is executed once: one login, one new device, the same reply twice', async () => {
    const devices = async (): Promise<number> => {
      const reply = await send({ pathname: '/d', options: { '256': Buffer.from(accessToken) } });
      return (body(reply)['devices'] as unknown[]).length;
    };
    const before = await devices();
    const peer = await RawPeer.open('127.0.0.1', port);
    try {
      const request = peer.sendPacket({
        confirmable: true,
        messageId: 4242,
        token: Buffer.from('dup'),
        code: '0.02',
        options: [{ name: 11, value: Buffer.from('1') }, { name: 12, value: Buffer.of(60) }],
        payload: encodeCborBody({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'sensor' }, password: 'pw-sensor-1' }, false),
      });
      peer.send(request); // while the login (password hashing) is still running: no second execution
      const first = await peer.next(5_000);
      expect(first.packet.code).toBe('2.05');
      peer.send(request); // after it finished: the cached reply
      const second = await peer.next();
      expect(second.raw.equals(first.raw)).toBe(true);
      expect(await peer.drain(100)).toHaveLength(0);
    } finally {
      peer.close();
    }
    expect(await devices()).toBe(before + 1); // each login creates a device: it ran once
  });

  it('unknown endpoint → 4.04 M_UNRECOGNIZED, wrong method → 4.05', async () => {
    const unknown = await send({ pathname: '/_matrix/client/v3/no_such_thing' });
    expect(unknown.code).toBe('4.04');
    expect(body(unknown)).toMatchObject({ errcode: 'M_UNRECOGNIZED' });
    expect((await send({ method: 'DELETE', pathname: '/0' })).code).toBe('4.05');
  });

  it('logout (/3) ends the session: the remembered token is refused, then forgotten', async () => {
    expect((await send({ method: 'POST', pathname: '/3', payload: encodeCborBody({}, false), options: CBOR })).code).toBe('2.05');
    const after = await send({ pathname: '/_matrix/client/v3/account/whoami' });
    expect(after.code).toBe('4.01');
    expect(body(after)).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN' });
    expect(body(await send({ pathname: '/_matrix/client/v3/account/whoami' }))).toMatchObject({ errcode: 'M_MISSING_TOKEN' });
  });
});
