// The Observe figure scripts/bench-coap.ts reports: one notification carrying one new
// m.room.message fits one datagram (no Block2) under the lean filter, and OSCORE adds only its
// option with a Partial IV and the 8-byte tag.
import { describe, expect, it } from 'vitest';
import { benchObserveNotification, formatCoapBench } from '../../scripts/bench-coap.js';

describe('bytes of an Observe notification', () => {
  it('one new message fits one datagram, and the figure shows in the bench output', async () => {
    const o = await benchObserveNotification();
    expect(o.bytes).toBeLessThanOrEqual(1152);
    expect(o.bytes).toBeLessThan(250);
    expect(o.firstFromSender).toBeGreaterThan(o.bytes); // the sender's member event, once per device
    expect(o.oscore - o.bytes).toBeLessThanOrEqual(20);
    const lines = formatCoapBench({ mode: 'real', roomIdLength: 44, reading: {}, keepAlive: { request: 4, reply: 4, total: 8 }, observeNotification: o });
    expect(lines.join('\n')).toContain(`${o.bytes} B`);
    console.log(lines.slice(-4).join('\n'));
  }, 30_000);
});
