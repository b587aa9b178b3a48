// The byte counts scripts/bench-coap.ts reports, held as goals: a sensor reading over OSCORE with
// the context's room and No-Response fits the 100-byte budget (send + reply), everything CoAP
// beats HTTP/1.1 by a wide margin, and a keep-alive is a fraction of MSC3079's 88 bytes.
import { describe, expect, it } from 'vitest';
import { benchCoap, formatCoapBench } from '../../scripts/bench-coap.js';

describe('bytes on the wire for a sensor reading', () => {
  it('meets the ≤ 100-byte goal with the session-bound credential, and beats MSC3079 and HTTP', async () => {
    const figures = await benchCoap();
    console.log(formatCoapBench(figures).join('\n'));
    const r = figures.reading;
    const oscoreQuiet = r['OSCORE, bound room + No-Response (empty ACK)']!;
    expect(oscoreQuiet.total).toBeLessThanOrEqual(100);
    expect(oscoreQuiet.reply).toBe(4);
    // Every OSCORE variant beats MSC3079's ≈ 180 B send / 150 B reply on both legs.
    for (const name of ['OSCORE, room ID in the path', 'OSCORE, room bound to the context ("!")']) {
      expect(r[name]!.request).toBeLessThan(180);
      expect(r[name]!.reply).toBeLessThan(150);
    }
    // OSCORE's overhead over the same plain request: option (~4 B) + tag (8 B).
    expect(r['OSCORE, room ID in the path']!.request - r['CoAP, sticky token (loopback only)']!.request).toBeLessThanOrEqual(14);
    expect(r['HTTP/1.1 + JSON (no TLS, no TCP/IP headers)']!.total).toBeGreaterThan(4 * r['OSCORE, room ID in the path']!.total);
    expect(figures.keepAlive.total).toBeLessThan(88);
  }, 60_000);
});
