// RFC 7252 message layer against a raw UDP peer: exact datagrams in, exact datagrams out.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeCborBody } from '../../src/transport/coap/cbor-body.js';
import { startCoapServer, type CoapServer } from '../../src/transport/coap/server.js';
import { fakeDispatch, type FakeDispatch } from './support/fake-dispatch.js';
import { option, RawPeer, uint } from './support/raw-client.js';

const path = (...segments: string[]): Array<{ name: number; value: Buffer }> => segments.map((s) => ({ name: 11, value: Buffer.from(s) }));
const query = (...pairs: string[]): Array<{ name: number; value: Buffer }> => pairs.map((s) => ({ name: 15, value: Buffer.from(s) }));

let fake: FakeDispatch;
let server: CoapServer;
let peer: RawPeer;

beforeAll(async () => {
  fake = fakeDispatch();
  server = await startCoapServer({
    host: '127.0.0.1',
    port: 0,
    dispatch: fake.dispatch,
    piggybackWindowMs: 300,
    timing: { ackTimeoutMs: 100, ackRandomFactor: 1, maxRetransmit: 2 },
  });
});
afterAll(async () => server.close());

afterEach(() => {
  peer.close();
  fake.calls.length = 0;
});

async function openPeer(): Promise<RawPeer> {
  peer = await RawPeer.open('127.0.0.1', server.address.port);
  return peer;
}

describe('RFC 7252 message layer', () => {
  it('answers an empty CON (ping) with RST and never dispatches it', async () => {
    await openPeer();
    peer.send(Buffer.from([0x40, 0x00, 0x12, 0x34]));
    const { raw } = await peer.next();
    expect(raw.equals(Buffer.from([0x70, 0x00, 0x12, 0x34]))).toBe(true);
    expect(fake.calls).toHaveLength(0);
  });

  it('rejects a malformed CON with RST and drops a malformed NON', async () => {
    await openPeer();
    peer.send(Buffer.from([0x49, 0x01, 0x00, 0x07, 1, 2, 3, 4, 5, 6, 7, 8, 9])); // TKL 9
    expect((await peer.next()).packet).toMatchObject({ reset: true, messageId: 7 });
    peer.send(Buffer.from([0x40, 0x01, 0x00, 0x08, 0xff])); // payload marker, no payload
    expect((await peer.next()).packet).toMatchObject({ reset: true, messageId: 8 });
    peer.send(Buffer.from([0x50, 0x01, 0x00, 0x09, 0xbd])); // NON, option runs past the end
    peer.send(Buffer.from([0x80, 0x01, 0x00, 0x0a])); // version 2
    expect(await peer.drain(100)).toHaveLength(0);
    expect(fake.calls).toHaveLength(0);
  });

  it('piggybacks a quick response on the ACK, echoing the token', async () => {
    await openPeer();
    peer.sendPacket({ confirmable: true, messageId: 100, token: Buffer.from('tok1'), code: '0.01', options: path('hello') });
    const { packet } = await peer.next();
    expect(packet).toMatchObject({ ack: true, messageId: 100, code: '2.05' });
    expect(packet.token.toString()).toBe('tok1');
    expect(uint(option(packet, 'Content-Format'))).toBe(60);
    expect(decodeCborBody(packet.payload).value).toMatchObject({ method: 'GET', path: '/hello', transport: 'coap', client_ip: '127.0.0.1' });
  });

  it('executes a duplicate of a finished CON once and repeats the same reply', async () => {
    await openPeer();
    const request = peer.sendPacket({ confirmable: true, messageId: 200, token: Buffer.from([9]), code: '0.02', options: path('hello') });
    const first = await peer.next();
    peer.send(request);
    const second = await peer.next();
    expect(second.raw.equals(first.raw)).toBe(true);
    expect(fake.calls).toHaveLength(1);
  });

  it('executes a duplicate of a pending CON once (retransmission during a slow handler)', async () => {
    await openPeer();
    const request = peer.sendPacket({ confirmable: true, messageId: 300, token: Buffer.from([3]), code: '0.02', options: [...path('slow'), ...query('ms=100')] });
    peer.send(request);
    peer.send(request);
    const reply = await peer.next();
    expect(reply.packet).toMatchObject({ ack: true, messageId: 300, code: '2.05' });
    peer.send(request); // after it finished: the cached reply again
    expect((await peer.next()).raw.equals(reply.raw)).toBe(true);
    expect(await peer.drain(100)).toHaveLength(0);
    expect(fake.calls).toHaveLength(1);
  });

  it('a slow handler gets an empty ACK, then a separate CON response retransmitted until ACKed', async () => {
    await openPeer();
    const request = peer.sendPacket({ confirmable: true, messageId: 400, token: Buffer.from('sep'), code: '0.01', options: [...path('slow'), ...query('ms=700')] });
    const ack = await peer.next();
    expect(ack.raw.equals(Buffer.from([0x60, 0x00, 0x01, 0x90]))).toBe(true); // empty ACK, MID 400
    peer.send(request); // duplicate while pending: the empty ACK again
    expect((await peer.next()).raw.equals(ack.raw)).toBe(true);

    const response = await peer.next();
    expect(response.packet).toMatchObject({ confirmable: true, code: '2.05' });
    expect(response.packet.token.toString()).toBe('sep');
    const retransmission = await peer.next(); // we did not ACK: it comes again, same bytes
    expect(retransmission.raw.equals(response.raw)).toBe(true);
    peer.sendPacket({ ack: true, code: '0.00', messageId: response.packet.messageId });
    expect(await peer.drain(400)).toHaveLength(0);
    expect(server.stats().outstandingConfirmables).toBe(0);
    expect(fake.calls).toHaveLength(1);
  });

  it('gives up on a separate response after MAX_RETRANSMIT retransmissions', async () => {
    await openPeer();
    peer.sendPacket({ confirmable: true, messageId: 450, token: Buffer.from('gone'), code: '0.01', options: [...path('slow'), ...query('ms=500')] });
    expect((await peer.next()).packet).toMatchObject({ ack: true, code: '0.00' });
    // timing: ACK_TIMEOUT 100 ms, factor 1, MAX_RETRANSMIT 2 → sent at +0, +100, +300, given up at +700.
    const copies = await peer.drain(1_400);
    expect(copies).toHaveLength(3);
    expect(new Set(copies.map((c) => c.raw.toString('hex'))).size).toBe(1);
    expect(server.stats().outstandingConfirmables).toBe(0);
  });

  it('caps requests executing at once per endpoint with 5.03 + Max-Age', async () => {
    await openPeer();
    for (let i = 0; i < 17; i++) {
      peer.sendPacket({ confirmable: false, messageId: 470 + i, token: Buffer.of(i), code: '0.01', options: [...path('slow'), ...query('ms=300')] });
    }
    const busy = await peer.next(250);
    expect(busy.packet.code).toBe('5.03');
    expect(busy.packet.token).toEqual(Buffer.of(16));
    expect(uint(option(busy.packet, 'Max-Age'))).toBe(1);
    const rest = await peer.drain(500);
    expect(rest.map((r) => r.packet.code)).toEqual(Array(16).fill('2.05'));
    expect(fake.calls).toHaveLength(16);
  });

  it('a long-poll /sync is acknowledged at once, before the piggyback window', async () => {
    await openPeer();
    const sent = Date.now();
    peer.sendPacket({ confirmable: true, messageId: 500, token: Buffer.from('s'), code: '0.01', options: [...path('7'), ...query('timeout=500')] });
    const ack = await peer.next();
    expect(ack.packet).toMatchObject({ ack: true, code: '0.00', messageId: 500 });
    expect(Date.now() - sent).toBeLessThan(250); // the piggyback window is 300 ms
    const response = await peer.next();
    expect(response.packet).toMatchObject({ confirmable: true, code: '2.05' });
    peer.sendPacket({ ack: true, code: '0.00', messageId: response.packet.messageId });
  });

  it('answers a NON request with a NON response', async () => {
    await openPeer();
    peer.sendPacket({ confirmable: false, messageId: 600, token: Buffer.from('n'), code: '0.01', options: path('hello') });
    const { packet } = await peer.next();
    expect(packet).toMatchObject({ confirmable: false, ack: false, reset: false, code: '2.05' });
    expect(packet.token.toString()).toBe('n');
  });

  it('rejects an unexpected CON response with RST', async () => {
    await openPeer();
    peer.sendPacket({ confirmable: true, messageId: 700, token: Buffer.from('r'), code: '2.05' });
    expect((await peer.next()).packet).toMatchObject({ reset: true, messageId: 700 });
  });

  it('unknown critical option → 4.02 with a CBOR error; unknown elective option is ignored', async () => {
    await openPeer();
    peer.sendPacket({ confirmable: true, messageId: 800, token: Buffer.from('c'), code: '0.01', options: [...path('hello'), { name: 2051, value: Buffer.from('x') }] });
    const bad = (await peer.next()).packet;
    expect(bad.code).toBe('4.02');
    expect(decodeCborBody(bad.payload).value).toMatchObject({ errcode: 'M_UNRECOGNIZED' });
    peer.sendPacket({ confirmable: true, messageId: 801, token: Buffer.from('e'), code: '0.01', options: [...path('hello'), { name: 2050, value: Buffer.from('x') }] });
    expect((await peer.next()).packet.code).toBe('2.05');
    expect(fake.calls).toHaveLength(1);
  });

  it('a repeated non-repeatable critical option, a CBOR table we do not know, a proxy request', async () => {
    await openPeer();
    peer.sendPacket({ confirmable: true, messageId: 900, code: '0.01', options: [...path('hello'), { name: 17, value: Buffer.from([60]) }, { name: 17, value: Buffer.from([50]) }] });
    expect((await peer.next()).packet.code).toBe('4.02');
    peer.sendPacket({ confirmable: true, messageId: 901, code: '0.01', options: [...path('hello'), { name: 257, value: Buffer.from([2]) }] });
    expect((await peer.next()).packet.code).toBe('4.02');
    peer.sendPacket({ confirmable: true, messageId: 902, code: '0.01', options: [{ name: 35, value: Buffer.from('coap://elsewhere/x') }] });
    expect((await peer.next()).packet.code).toBe('5.05');
    peer.sendPacket({ confirmable: true, messageId: 903, code: '0.05', options: path('hello') }); // FETCH
    expect((await peer.next()).packet.code).toBe('4.05');
    expect(fake.calls).toHaveLength(0);
  });

  it('Uri-Path segments are percent-encoded for dispatch; Uri-Query becomes the query', async () => {
    await openPeer();
    peer.sendPacket({ confirmable: true, messageId: 1000, code: '0.01', options: [...path('_matrix', 'client', 'v3', 'rooms', '!a/b?c:x', 'state'), ...query('at=s1 2', 'flag')] });
    const { packet } = await peer.next();
    expect(decodeCborBody(packet.payload).value).toMatchObject({ path: '/_matrix/client/v3/rooms/!a%2Fb%3Fc%3Ax/state' });
    expect(fake.calls[0]?.query.get('at')).toBe('s1 2');
    expect(fake.calls[0]?.query.get('flag')).toBe('');
  });

  it('every datagram of a large response fits 1152 bytes', async () => {
    await openPeer();
    peer.sendPacket({ confirmable: true, messageId: 1100, token: Buffer.from('12345678'), code: '0.01', options: [...path('big'), ...query('bytes=20000')] });
    const first = await peer.next();
    expect(first.raw.length).toBeLessThanOrEqual(1152);
    expect(first.packet.payload.length).toBe(1024);
  });
});

describe('udp6', () => {
  it('serves on ::1', async () => {
    const v6 = await startCoapServer({ host: '::1', port: 0, dispatch: fake.dispatch });
    try {
      expect(v6.address.family).toBe('udp6');
      peer = await RawPeer.open('::1', v6.address.port);
      peer.sendPacket({ confirmable: true, messageId: 1, code: '0.01', options: path('hello') });
      const { packet } = await peer.next();
      expect(packet.code).toBe('2.05');
      expect(decodeCborBody(packet.payload).value).toMatchObject({ client_ip: '::1' });
      peer.send(Buffer.from([0x40, 0x00, 0x00, 0x02]));
      expect((await peer.next()).packet).toMatchObject({ reset: true, messageId: 2 });
    } finally {
      await v6.close();
    }
  });
});
