// The message layer's parts in isolation, with a fake clock where time matters.
import { describe, expect, it } from 'vitest';
import { Block1Assembler } from '../../src/transport/coap/block1-assembler.js';
import { Block2Cache } from '../../src/transport/coap/block2-cache.js';
import { decodeBlock, encodeBlock } from '../../src/transport/coap/block-option.js';
import { DedupCache } from '../../src/transport/coap/dedup-cache.js';
import { endpointOf, isLoopback } from '../../src/transport/coap/endpoint.js';
import { EndpointSessions } from '../../src/transport/coap/endpoint-sessions.js';
import { decodeMessage, encodeMessage } from '../../src/transport/coap/message.js';
import { decodeUint, encodeUint, firstUnrecognizedCritical } from '../../src/transport/coap/options.js';

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('option values', () => {
  it('uint and Block encodings are minimal and round-trip', () => {
    expect(encodeUint(0)).toEqual(Buffer.alloc(0));
    expect(encodeUint(1500)).toEqual(Buffer.from([0x05, 0xdc]));
    expect(decodeUint(Buffer.from([0x05, 0xdc]))).toBe(1500);
    expect(decodeUint(Buffer.alloc(5))).toBeUndefined();
    expect(encodeBlock({ num: 0, more: true, szx: 6 })).toEqual(Buffer.of(0x0e));
    expect(encodeBlock({ num: 1, more: false, szx: 2 })).toEqual(Buffer.of(0x12));
    expect(decodeBlock(encodeBlock({ num: 70_000, more: true, szx: 6 }))).toEqual({ num: 70_000, more: true, szx: 6 });
    expect(decodeBlock(Buffer.alloc(4))).toBeUndefined();
  });

  it('critical = odd; unknown or illegally repeated critical options are unrecognized', () => {
    const opt = (number: number): { number: number; value: Buffer } => ({ number, value: Buffer.alloc(0) });
    expect(firstUnrecognizedCritical([opt(11), opt(11), opt(15), opt(256), opt(2050)])).toBeUndefined();
    expect(firstUnrecognizedCritical([opt(11), opt(2051)])).toBe(2051);
    expect(firstUnrecognizedCritical([opt(1)])).toBe(1); // If-Match: not implemented, so refused
    expect(firstUnrecognizedCritical([opt(9)])).toBe(9); // OSCORE until issue 4
    expect(firstUnrecognizedCritical([opt(27), opt(27)])).toBe(27);
  });
});

describe('decodeMessage', () => {
  it('accepts exactly what re-encodes to the same bytes', () => {
    const datagram = encodeMessage({ type: 'CON', code: '0.01', messageId: 5, token: Buffer.from('ab'), options: [{ number: 11, value: Buffer.from('x') }], payload: Buffer.from('p') });
    const decoded = decodeMessage(datagram);
    expect(decoded.ok && decoded.message).toMatchObject({ type: 'CON', code: '0.01', messageId: 5, payload: Buffer.from('p') });
    expect(decodeMessage(datagram.subarray(0, datagram.length - 1))).toMatchObject({ ok: false }); // marker, no payload
    expect(decodeMessage(Buffer.concat([datagram.subarray(0, 6), Buffer.from([0xbd])]))).toMatchObject({ ok: false }); // option runs past the end
    expect(decodeMessage(Buffer.from([0x40, 0x00, 0x00, 0x01, 0x00]))).toMatchObject({ ok: false, rejectable: { type: 'CON', messageId: 1 } }); // empty with bytes
    expect(decodeMessage(Buffer.from([0x40, 0x01]))).toEqual({ ok: false, rejectable: undefined });
  });

  it('refuses to build a datagram over 1152 bytes', () => {
    expect(() => encodeMessage({ type: 'ACK', code: '2.05', messageId: 1, token: Buffer.alloc(0), options: [], payload: Buffer.alloc(1200) })).toThrow(/1152/);
  });
});

describe('DedupCache', () => {
  it('keeps a finished exchange for the lifetime after it finished, pending ones until they finish', () => {
    const c = clock();
    const cache = new DedupCache(1_000, 10, c.now);
    const a = cache.begin('a');
    c.advance(5_000);
    cache.sweep();
    expect(cache.lookup('a')).toBe(a); // still pending
    cache.finish('a', a, Buffer.from('reply'));
    c.advance(999);
    cache.sweep();
    expect(cache.lookup('a')?.reply).toEqual(Buffer.from('reply'));
    c.advance(2);
    expect(cache.lookup('a')).toBeUndefined();
  });

  it('evicts the oldest finished entry when full, never a pending one', () => {
    const cache = new DedupCache(1_000, 2, clock().now);
    const pending = cache.begin('pending');
    cache.finish('done', cache.begin('done'), undefined);
    cache.begin('third');
    expect(cache.lookup('pending')).toBe(pending);
    expect(cache.lookup('done')).toBeUndefined();
  });
});

describe('Block1Assembler', () => {
  it('acknowledges a repeated block without appending it twice', () => {
    const assembler = new Block1Assembler(10_000, 1_000, 10, 1_000_000, clock().now);
    const block = Buffer.alloc(16, 1);
    expect(assembler.accept('k', { num: 0, more: true, szx: 0 }, block, undefined).kind).toBe('continue');
    expect(assembler.accept('k', { num: 0, more: true, szx: 0 }, block, undefined).kind).toBe('continue'); // restart
    expect(assembler.accept('k', { num: 1, more: true, szx: 0 }, block, undefined).kind).toBe('continue');
    expect(assembler.accept('k', { num: 1, more: true, szx: 0 }, block, undefined).kind).toBe('continue'); // repeat
    const done = assembler.accept('k', { num: 2, more: false, szx: 0 }, Buffer.alloc(3, 2), undefined);
    expect(done.kind === 'complete' && done.body.length).toBe(35);
  });

  it('forgets an upload after its lifetime; rejects SZX 7 and short middle blocks', () => {
    const c = clock();
    const assembler = new Block1Assembler(10_000, 1_000, 10, 1_000_000, c.now);
    assembler.accept('k', { num: 0, more: true, szx: 0 }, Buffer.alloc(16), undefined);
    c.advance(1_001);
    expect(assembler.accept('k', { num: 1, more: false, szx: 0 }, Buffer.alloc(1), undefined).kind).toBe('incomplete');
    expect(assembler.accept('k', { num: 0, more: true, szx: 7 }, Buffer.alloc(16), undefined).kind).toBe('bad-block');
    expect(assembler.accept('k', { num: 0, more: true, szx: 1 }, Buffer.alloc(16), undefined).kind).toBe('bad-block');
  });
});

describe('Block1Assembler bounds', () => {
  it('drops the least recently active uploads when the total bytes bound is passed', () => {
    const assembler = new Block1Assembler(10_000, 1_000, 10, 40, clock().now);
    assembler.accept('a', { num: 0, more: true, szx: 0 }, Buffer.alloc(16), undefined);
    assembler.accept('b', { num: 0, more: true, szx: 0 }, Buffer.alloc(16), undefined);
    assembler.accept('a', { num: 1, more: true, szx: 0 }, Buffer.alloc(16), undefined); // 48 bytes held: b goes
    expect(assembler.size).toBe(1);
    expect(assembler.accept('b', { num: 1, more: false, szx: 0 }, Buffer.alloc(1), undefined).kind).toBe('incomplete');
    expect(assembler.accept('a', { num: 2, more: false, szx: 0 }, Buffer.alloc(1), undefined).kind).toBe('complete');
  });
});

describe('Block2Cache', () => {
  it('expires entries and bounds total bytes', () => {
    const c = clock();
    const cache = new Block2Cache(1_000, 100, c.now);
    const stored = cache.put('a', { code: '2.05', options: [], payload: Buffer.alloc(60, 1) });
    expect(cache.get('a')?.etag).toEqual(stored.etag);
    cache.put('b', { code: '2.05', options: [], payload: Buffer.alloc(60, 2) });
    expect(cache.get('a')).toBeUndefined(); // 120 bytes > 100: oldest out
    c.advance(1_001);
    expect(cache.get('b')).toBeUndefined();
  });
});

describe('EndpointSessions', () => {
  it('remembers tokens only where the policy allows, forgets idle endpoints', () => {
    const c = clock();
    const sessions = new EndpointSessions(isLoopback, 1_000, 10, c.now);
    const local = endpointOf('::ffff:127.0.0.1', 4000);
    const remote = endpointOf('192.0.2.7', 4000);
    expect(local).toMatchObject({ address: '127.0.0.1', key: '127.0.0.1:4000', socketAddress: '::ffff:127.0.0.1' });
    sessions.rememberToken(local, 't');
    sessions.rememberToken(remote, 't');
    expect(sessions.get(local)?.accessToken).toBe('t');
    expect(sessions.get(remote)).toBeUndefined();
    sessions.setIntegerKeys(remote, true); // not a secret: remembered everywhere
    expect(sessions.get(remote)?.integerKeys).toBe(true);
    c.advance(1_001);
    expect(sessions.get(local)).toBeUndefined();
  });
});
