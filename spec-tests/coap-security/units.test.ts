// The small pieces on their own: OSCORE option and Partial IV codecs, the replay window, the
// RFC 8323 framing, the credential blob, the lean sync filter (valid for our own filter schema,
// and what a filter-less CoAP /sync gets), No-Response and the bound-room shorthand.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncFilter } from '../../src/api/client/filter.js';
import { compileBodyValidator, createAjv } from '../../src/api/validation.js';
import { decodePartialIv, encodePartialIv } from '../../src/core/oscore/nonce.js';
import { decodeOscoreOption, encodeOscoreOption } from '../../src/core/oscore/option-value.js';
import { ReplayWindow } from '../../src/core/oscore/replay-window.js';
import { credentialsFromCbor, credentialsToCbor, type SensorCredentials } from '../../src/services/oscore/credentials.js';
import { withBoundRoom } from '../../src/transport/coap/bound-room.js';
import { LEAN_SYNC_FILTER, LEAN_SYNC_FILTER_JSON } from '../../src/transport/coap/lean-filter.js';
import { startCoapServer, type CoapServer } from '../../src/transport/coap/server.js';
import { decodeTcpFrame, encodeTcpMessage } from '../../src/transport/coap/tcp/framing.js';
import { fakeDispatch, type FakeDispatch } from '../coap/support/fake-dispatch.js';
import { RawPeer } from '../coap/support/raw-client.js';

describe('OSCORE option value (RFC 8613 §6.1)', () => {
  it('round-trips the §6.3 examples and refuses reserved bits, n = 6/7 and truncation', () => {
    const cases: [Parameters<typeof encodeOscoreOption>[0], string][] = [
      [{ partialIv: Buffer.from('05', 'hex'), kid: Buffer.from('25', 'hex'), kidContext: undefined }, '090525'],
      [{ partialIv: Buffer.from('00', 'hex'), kid: Buffer.alloc(0), kidContext: undefined }, '0900'],
      [{ partialIv: Buffer.from('05', 'hex'), kid: Buffer.alloc(0), kidContext: Buffer.from('44616c656b', 'hex') }, '19050544616c656b'],
      [{ partialIv: Buffer.from('07', 'hex'), kid: undefined, kidContext: undefined }, '0107'],
      [{ partialIv: undefined, kid: undefined, kidContext: undefined }, ''],
    ];
    for (const [header, hex] of cases) {
      expect(encodeOscoreOption(header).toString('hex')).toBe(hex);
      const decoded = decodeOscoreOption(Buffer.from(hex, 'hex'))!;
      expect(decoded.partialIv?.toString('hex')).toBe(header.partialIv?.toString('hex'));
      expect(decoded.kid?.toString('hex')).toBe(header.kid?.toString('hex'));
      expect(decoded.kidContext?.toString('hex')).toBe(header.kidContext?.toString('hex'));
    }
    for (const bad of ['20', '80', '06000000000000', '0305', '10', '1005ab', '0105ff']) expect(decodeOscoreOption(Buffer.from(bad, 'hex')), bad).toBeUndefined();
  });

  it('Partial IVs are minimal big-endian, 0 is one zero byte, at most 5 bytes', () => {
    expect(encodePartialIv(0).toString('hex')).toBe('00');
    expect(encodePartialIv(20).toString('hex')).toBe('14');
    expect(encodePartialIv(256).toString('hex')).toBe('0100');
    expect(encodePartialIv(2 ** 40 - 1).toString('hex')).toBe('ffffffffff');
    expect(() => encodePartialIv(2 ** 40)).toThrow(RangeError);
    expect(decodePartialIv(Buffer.from('0100', 'hex'))).toBe(256);
  });
});

describe('replay window (RFC 8613 §7.4)', () => {
  it('accepts new numbers, refuses seen ones and anything 32 or more below the highest', () => {
    const w = new ReplayWindow();
    expect(w.isFresh(0)).toBe(true);
    w.accept(0);
    expect(w.isFresh(0)).toBe(false);
    w.accept(5);
    expect([1, 2, 3, 4].every((n) => w.isFresh(n))).toBe(true);
    w.accept(3);
    expect(w.isFresh(3)).toBe(false);
    w.accept(100);
    expect(w.isFresh(68)).toBe(false); // 100 − 32: outside the window
    expect(w.isFresh(69)).toBe(true);
    expect(w.isFresh(100)).toBe(false);
    const restored = new ReplayWindow(w.state);
    expect(restored.isFresh(100)).toBe(false);
    expect(restored.isFresh(99)).toBe(true);
  });
});

describe('CoAP over TCP framing (RFC 8323 §3.2)', () => {
  it('round-trips every length form and waits for the rest of a split message', () => {
    for (const size of [0, 5, 12, 13, 268, 269, 65804, 65805, 70_000]) {
      const message = { code: '2.05', token: Buffer.from('abcd', 'hex'), options: [{ number: 12, value: Buffer.of(60) }], payload: Buffer.alloc(size, 7) };
      const wire = encodeTcpMessage(message);
      const whole = decodeTcpFrame(wire, 1_000_000);
      if (whole.kind !== 'message') throw new Error(`size ${size}: ${whole.kind}`);
      expect(whole.consumed).toBe(wire.length);
      expect(whole.message.payload.length).toBe(size);
      expect(whole.message.code).toBe('2.05');
      expect(decodeTcpFrame(wire.subarray(0, wire.length - 1), 1_000_000).kind).toBe('need-more');
    }
    // libcoap's CSM as captured on the wire: Max-Message-Size 8388864, Block-Wise-Transfer.
    const csm = decodeTcpFrame(Buffer.from('50e12380010020', 'hex'), 1024);
    expect(csm.kind === 'message' && csm.message.code).toBe('7.01');
    expect(decodeTcpFrame(encodeTcpMessage({ code: '0.02', token: Buffer.alloc(0), options: [], payload: Buffer.alloc(2000) }), 1024).kind).toBe('error');
  });
});

describe('credential blob', () => {
  it('round-trips, with and without a room', () => {
    const c: SensorCredentials = {
      userId: '@a:example.org',
      deviceId: 'ABCDEFGHIJ',
      roomId: '!room:example.org',
      coap: { host: 'example.org', port: 5683 },
      masterSecret: Buffer.alloc(16, 1),
      masterSalt: Buffer.alloc(8, 2),
      senderId: Buffer.of(0x42),
      recipientId: Buffer.alloc(0),
    };
    expect(credentialsFromCbor(credentialsToCbor(c))).toEqual(c);
    expect(credentialsFromCbor(credentialsToCbor({ ...c, roomId: undefined })).roomId).toBeUndefined();
  });
});

describe('bound room shorthand', () => {
  it('replaces a lone "!" path segment with the context\'s room, nothing else', () => {
    const opts = ['9', '!', 'm.room.message', '!x'].map((s) => ({ number: 11, value: Buffer.from(s) }));
    expect(withBoundRoom(opts, '!abc:hs').map((o) => o.value.toString())).toEqual(['9', '!abc:hs', 'm.room.message', '!x']);
    expect(withBoundRoom(opts, undefined)).toBe(opts);
  });
});

describe('lean sync filter and No-Response on the CoAP transport', () => {
  let fake: FakeDispatch;
  let server: CoapServer;
  beforeAll(async () => {
    fake = fakeDispatch();
    server = await startCoapServer({ host: '127.0.0.1', port: 0, dispatch: fake.dispatch, log: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await server.close();
  });

  it('is a filter our own filter endpoint accepts', () => {
    expect(() => compileBodyValidator(createAjv(), SyncFilter)(LEAN_SYNC_FILTER)).not.toThrow();
  });

  it('is added to a CoAP /sync without a filter; an explicit filter is left alone', async () => {
    const peer = await RawPeer.open('127.0.0.1', server.address.port);
    try {
      peer.sendPacket({ messageId: 1, token: Buffer.of(1), confirmable: true, code: '0.01', options: [{ name: 'Uri-Path', value: Buffer.from('7') }] });
      await peer.next();
      peer.sendPacket({ messageId: 2, token: Buffer.of(2), confirmable: true, code: '0.01', options: [{ name: 'Uri-Path', value: Buffer.from('7') }, { name: 'Uri-Query', value: Buffer.from('filter=3') }] });
      await peer.next();
    } finally {
      peer.close();
    }
    const syncs = fake.calls.filter((c) => c.path.endsWith('/sync'));
    expect(syncs.map((c) => c.query.get('filter'))).toEqual([LEAN_SYNC_FILTER_JSON, '3']);
  });

  it('No-Response for 2.xx turns the piggybacked answer into an empty ACK; errors still come', async () => {
    const peer = await RawPeer.open('127.0.0.1', server.address.port);
    try {
      peer.sendPacket({ messageId: 10, token: Buffer.of(9), confirmable: true, code: '0.01', options: [{ name: 'Uri-Path', value: Buffer.from('big') }, { name: '258', value: Buffer.of(2) }] });
      const quiet = await peer.next();
      expect(quiet.raw.length).toBe(4);
      expect(quiet.packet.ack).toBe(true);
      expect(quiet.packet.code).toBe('0.00');
      peer.sendPacket({ messageId: 11, token: Buffer.of(9), confirmable: true, code: '0.01', options: [{ name: 'Uri-Path', value: Buffer.from('whoami') }, { name: '258', value: Buffer.of(2) }] });
      expect((await peer.next()).packet.code).toBe('4.01');
    } finally {
      peer.close();
    }
  });
});
