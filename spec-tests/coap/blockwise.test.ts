// RFC 7959 block-wise transfers at the datagram level: sizes, ETag/Size2, token changes between
// blocks (as libcoap does), gaps and limits.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeBlock, encodeBlock } from '../../src/transport/coap/block-option.js';
import { decodeCborBody, encodeCborBody } from '../../src/transport/coap/cbor-body.js';
import { startCoapServer, type CoapServer } from '../../src/transport/coap/server.js';
import { bigBody, fakeDispatch, type FakeDispatch } from './support/fake-dispatch.js';
import { option, RawPeer, uint, type Received } from './support/raw-client.js';

type Opt = { name: number; value: Buffer };
const path = (...segments: string[]): Opt[] => segments.map((s) => ({ name: 11, value: Buffer.from(s) }));
const query = (...pairs: string[]): Opt[] => pairs.map((s) => ({ name: 15, value: Buffer.from(s) }));
const block = (name: 23 | 27, num: number, more: boolean, szx: number): Opt => ({ name, value: encodeBlock({ num, more, szx }) });
const CBOR: Opt = { name: 12, value: Buffer.of(60) };

let fake: FakeDispatch;
let server: CoapServer;
let peer: RawPeer;
let mid = 1;

beforeAll(async () => {
  fake = fakeDispatch();
  server = await startCoapServer({ host: '127.0.0.1', port: 0, dispatch: fake.dispatch, maxBodyBytes: 4096 });
});
afterAll(async () => server.close());
beforeEach(async () => {
  peer = await RawPeer.open('127.0.0.1', server.address.port);
  fake.calls.length = 0;
});
afterEach(() => peer.close());

async function request(code: string, options: Opt[], payload?: Buffer): Promise<Received> {
  const token = Buffer.alloc(4);
  token.writeUInt32BE(mid); // a new token for every request, as libcoap does between blocks
  peer.sendPacket({ confirmable: true, messageId: mid++, token, code, options, ...(payload === undefined ? {} : { payload }) });
  return peer.next();
}

describe('Block2', () => {
  it('honours a smaller SZX, serves later blocks from one stored body across token changes', async () => {
    const first = await request('0.01', [...path('big'), ...query('bytes=3000'), block(23, 0, false, 2)]);
    expect(first.packet.code).toBe('2.05');
    expect(first.packet.payload.length).toBe(64);
    expect(decodeBlock(option(first.packet, 'Block2') ?? Buffer.alloc(0))).toEqual({ num: 0, more: true, szx: 2 });
    const etag = option(first.packet, 'ETag');
    const total = uint(option(first.packet, 'Size2')) ?? 0;
    expect(etag?.length).toBe(4);

    const parts = [first.packet.payload];
    for (let num = 1; num * 64 < total; num++) {
      const next = await request('0.01', [...path('big'), ...query('bytes=3000'), block(23, num, false, 2)]);
      expect(option(next.packet, 'ETag')).toEqual(etag);
      expect(next.raw.length).toBeLessThanOrEqual(1152);
      parts.push(next.packet.payload);
      expect(decodeBlock(option(next.packet, 'Block2') ?? Buffer.alloc(0))?.more).toBe((num + 1) * 64 < total);
    }
    const body = Buffer.concat(parts);
    expect(body.length).toBe(total);
    expect(decodeCborBody(body).value).toEqual(bigBody(3000, 1));
    expect(fake.calls).toHaveLength(1); // not once per block
  });

  it('a fresh request (block 0 again) runs the handler again, with a new ETag', async () => {
    const a = await request('0.01', [...path('big'), ...query('bytes=3000')]);
    const b = await request('0.01', [...path('big'), ...query('bytes=3000')]);
    expect(a.packet.payload.length).toBe(1024);
    expect(option(a.packet, 'ETag')).not.toEqual(option(b.packet, 'ETag'));
    expect(fake.calls).toHaveLength(2);
  });

  it('a block past the end is 4.02; a later block of an unknown POST answer is 4.08, never a re-run', async () => {
    await request('0.01', [...path('big'), ...query('bytes=3000')]);
    expect((await request('0.01', [...path('big'), ...query('bytes=3000'), block(23, 50, false, 6)])).packet.code).toBe('4.02');
    expect((await request('0.02', [...path('never-asked'), block(23, 1, false, 6)])).packet.code).toBe('4.08');
    expect(fake.calls).toHaveLength(1);
  });
});

describe('Block1', () => {
  const body = encodeCborBody({ msgtype: 'm.text', body: 'y'.repeat(3000) }, false);
  const blocks = (size: number): Buffer[] => {
    const out: Buffer[] = [];
    for (let i = 0; i < body.length; i += size) out.push(body.subarray(i, i + size));
    return out;
  };

  it('reassembles a 3 KB body sent with a new token per block: 2.31 each, then one dispatch', async () => {
    const parts = blocks(1024);
    for (let num = 0; num < parts.length; num++) {
      const more = num < parts.length - 1;
      const reply = await request('0.03', [...path('9', '!r:x', 'm.room.message', 't1'), CBOR, block(27, num, more, 6)], parts[num]);
      expect(reply.packet.code).toBe(more ? '2.31' : '2.05');
      expect(decodeBlock(option(reply.packet, 'Block1') ?? Buffer.alloc(0))).toEqual({ num, more, szx: 6 });
      expect(fake.calls).toHaveLength(more ? 0 : 1);
    }
    expect(fake.calls[0]?.body).toEqual({ msgtype: 'm.text', body: 'y'.repeat(3000) });
  });

  it('a gap is 4.08 Request Entity Incomplete, as is a continuation with nothing started', async () => {
    const parts = blocks(512);
    const target = [...path('_matrix', 'client', 'v3', 'createRoom'), CBOR];
    expect((await request('0.02', [...target, block(27, 0, true, 5)], parts[0])).packet.code).toBe('2.31');
    expect((await request('0.02', [...target, block(27, 2, true, 5)], parts[2])).packet.code).toBe('4.08');
    expect((await request('0.02', [...path('other'), CBOR, block(27, 1, false, 5)], parts[1])).packet.code).toBe('4.08');
    expect(fake.calls).toHaveLength(0);
  });

  it('over the limit is 4.13 with Size1, whether announced up front or discovered', async () => {
    const announced = await request('0.02', [...path('upload'), CBOR, block(27, 0, true, 6), { name: 60, value: Buffer.from([0x27, 0x10]) }], Buffer.alloc(1024));
    expect(announced.packet.code).toBe('4.13');
    expect(uint(option(announced.packet, 'Size1'))).toBe(4096);

    const filler = Buffer.alloc(1024, 0x61);
    for (let num = 0; num < 4; num++) {
      expect((await request('0.02', [...path('upload'), CBOR, block(27, num, true, 6)], filler)).packet.code).toBe('2.31');
    }
    const over = await request('0.02', [...path('upload'), CBOR, block(27, 4, true, 6)], filler);
    expect(over.packet.code).toBe('4.13');
    expect(uint(option(over.packet, 'Size1'))).toBe(4096);
    expect(decodeCborBody(over.packet.payload).value).toMatchObject({ errcode: 'M_TOO_LARGE' });

    const whole = await request('0.02', [...path('upload'), CBOR], Buffer.alloc(1100)); // no Block1, fits a datagram
    expect(whole.packet.code).toBe('4.00'); // not CBOR, but within the limit: it was decoded
    expect(fake.calls).toHaveLength(0);
  });

  it('Block1 upload with a Block2 answer: the last block echoes Block1 and starts Block2', async () => {
    const parts = blocks(1024);
    let last: Received | undefined;
    for (let num = 0; num < parts.length; num++) {
      last = await request('0.02', [...path('big'), ...query('bytes=2500'), CBOR, block(27, num, num < parts.length - 1, 6)], parts[num]);
    }
    expect(last?.packet.code).toBe('2.05');
    expect(decodeBlock(option(last!.packet, 'Block1') ?? Buffer.alloc(0))?.more).toBe(false);
    expect(decodeBlock(option(last!.packet, 'Block2') ?? Buffer.alloc(0))).toEqual({ num: 0, more: true, szx: 6 });
    const second = await request('0.02', [...path('big'), ...query('bytes=2500'), block(23, 1, false, 6)]);
    expect(option(second.packet, 'ETag')).toEqual(option(last!.packet, 'ETag'));
    expect(fake.calls).toHaveLength(1);
  });
});
