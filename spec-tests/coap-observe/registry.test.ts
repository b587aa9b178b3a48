// The Observe registry (src/transport/coap/observe.ts) on its own, with a scripted dispatcher and
// message layer: bounds, what a failing recomputation does, server close, Observe value wrap, and
// what counts as news in a sync body.
import { describe, expect, it } from 'vitest';
import type { EndpointResponse, IncomingRequest } from '../../src/transport/coap/dispatch-contract.js';
import { endpointOf } from '../../src/transport/coap/endpoint.js';
import type { ResponseParts } from '../../src/transport/coap/message-layer.js';
import { hasContent, ObserveRegistry, type Activation, type ObserveOptions } from '../../src/transport/coap/observe.js';
import type { DeliveryOutcome } from '../../src/transport/coap/retransmitter.js';

const TIMING = { ackTimeoutMs: 50, ackRandomFactor: 1, maxRetransmit: 2, exchangeLifetimeMs: 1_000 };

interface Sent {
  readonly parts: ResponseParts;
  settle(outcome: DeliveryOutcome): void;
}

function harness(answer: (req: IncomingRequest) => Promise<EndpointResponse>, options: ObserveOptions = {}) {
  const sent: Sent[] = [];
  const cancelled: number[] = [];
  const dispatched: IncomingRequest[] = [];
  let messageId = 0;
  const registry = new ObserveRegistry(
    {
      dispatch: async (req) => {
        dispatched.push(req);
        return answer(req);
      },
      send: (_endpoint, _token, parts) => {
        let settle!: (o: DeliveryOutcome) => void;
        const outcome = new Promise<DeliveryOutcome>((resolve) => (settle = resolve));
        sent.push({ parts, settle });
        return { messageId: ++messageId, outcome };
      },
      cancel: (_endpoint, id) => cancelled.push(id),
      timing: TIMING,
    },
    options,
  );
  return { registry, sent, cancelled, dispatched };
}

function activation(nextBatch = 's1'): Activation {
  return {
    path: '/_matrix/client/v3/sync',
    query: new URLSearchParams('since=s0&timeout=30000'),
    accessToken: 'tok',
    block2Key: 'k',
    render: (response, observe) => ({
      parts: { code: observe === undefined ? `${Math.floor(response.status / 100)}.0${response.status % 100}` : '2.05', options: [], payload: Buffer.from(JSON.stringify(response.body)) },
      blockwise: undefined,
    }),
    nextBatch,
    since: 's0',
    blockwise: undefined,
    requester: { userId: '@u:x', deviceId: 'D', accessTokenId: 1, isAdmin: false },
  };
}

const endpoint = (port: number) => endpointOf('127.0.0.1', port);

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('ObserveRegistry', () => {
  it('bounds registrations in total and per endpoint; a replacement does not count twice', () => {
    const { registry } = harness(() => new Promise(() => {}), { maxTotal: 3, maxPerEndpoint: 2 });
    const a = registry.admit(endpoint(1), Buffer.of(1), undefined)!;
    expect(registry.admit(endpoint(1), Buffer.of(1), undefined)).toBeDefined(); // same key: replaces a
    expect(registry.size).toBe(1);
    expect(a.active).toBe(false);
    expect(registry.admit(endpoint(1), Buffer.of(2), undefined)).toBeDefined();
    expect(registry.admit(endpoint(1), Buffer.of(3), undefined)).toBeUndefined(); // per endpoint
    const c = registry.admit(endpoint(2), Buffer.of(1), undefined)!;
    expect(registry.admit(endpoint(3), Buffer.of(1), undefined)).toBeUndefined(); // in total
    registry.abandon(c);
    expect(registry.admit(endpoint(3), Buffer.of(1), undefined)).toBeDefined();
    registry.close();
    expect(registry.size).toBe(0);
    expect(registry.admit(endpoint(4), Buffer.of(1), undefined)).toBeUndefined();
  });

  it('recomputes from the acknowledged token with the client\'s filter, without full_state', async () => {
    let n = 1;
    const { registry, sent, dispatched } = harness(async (req) => {
      if (req.query.get('since') === `s${n}`) {
        n++;
        return { status: 200, body: { next_batch: `s${n}`, rooms: { join: { '!r:x': {} } } } };
      }
      return new Promise(() => {});
    });
    const reg = registry.admit(endpoint(1), Buffer.of(1), undefined)!;
    const act = activation('s1');
    act.query.set('filter', '{"room":{}}');
    act.query.set('full_state', 'true');
    registry.activate(reg, act);
    await until(() => sent.length === 1);
    expect(dispatched[0]!.query.get('since')).toBe('s1');
    expect(dispatched[0]!.query.get('filter')).toBe('{"room":{}}');
    expect(dispatched[0]!.query.has('full_state')).toBe(false);
    expect(Number(dispatched[0]!.query.get('timeout'))).toBeGreaterThan(0);
    expect(dispatched[0]!.authenticated).toBeUndefined(); // a token registration dispatches with its token
    expect(dispatched[0]!.accessToken).toBe('tok');
    sent[0]!.settle('acked');
    await until(() => sent.length === 2);
    expect(dispatched.at(-1)!.query.get('since')).toBe('s2'); // advanced on the ACK
    registry.close();
  });

  it('a failing recomputation (5xx) sends one final notification without Observe and drops the registration', async () => {
    const { registry, sent } = harness(async (req): Promise<EndpointResponse> =>
      req.path.endsWith('whoami') ? { status: 200, body: { user_id: '@u:x', device_id: 'D' } } : { status: 500, body: { errcode: 'M_UNKNOWN', error: 'boom' } },
    );
    const reg = registry.admit(endpoint(1), Buffer.of(1), undefined)!;
    registry.activate(reg, activation());
    await until(() => sent.length === 1);
    expect(sent[0]!.parts.code).toBe('5.00');
    expect(registry.size).toBe(0);
  });

  it('close() cancels the notification in flight and ends every loop', async () => {
    const { registry, sent, cancelled } = harness(async () => ({ status: 200, body: { next_batch: 's9', rooms: { join: { '!r:x': {} } } } }));
    const reg = registry.admit(endpoint(1), Buffer.of(1), undefined)!;
    registry.activate(reg, activation());
    await until(() => sent.length === 1);
    registry.close();
    expect(cancelled).toEqual([1]);
    sent[0]!.settle('closed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sent).toHaveLength(1);
  });

  it('Observe values increase by one and wrap at 2^24', () => {
    const { registry } = harness(() => new Promise(() => {}), { firstObserveValue: 0xff_fffd });
    expect([registry.nextObserveValue(), registry.nextObserveValue(), registry.nextObserveValue()]).toEqual([0xff_fffe, 0xff_ffff, 0]);
  });

  it('Max-Age covers the heartbeat and the retransmissions of a notification', () => {
    const { registry } = harness(() => new Promise(() => {}), { heartbeatMs: 10_000 });
    // 10 s + MAX_TRANSMIT_WAIT (50 ms × (2^3 − 1) × 1) = 10.35 s → 11 s.
    expect(registry.maxAgeSeconds).toBe(11);
  });
});

describe('hasContent', () => {
  it('treats next_batch and counts as no news, events and room entries as news', () => {
    expect(hasContent({ next_batch: 's1' })).toBe(false);
    expect(hasContent({ next_batch: 's1', rooms: {}, device_one_time_keys_count: { signed_curve25519: 3 } })).toBe(false);
    expect(hasContent({ next_batch: 's1', rooms: { join: {} } })).toBe(false);
    expect(hasContent({ next_batch: 's1', rooms: { join: { '!r:x': {} } } })).toBe(true);
    expect(hasContent({ next_batch: 's1', presence: { events: [] } })).toBe(false);
    expect(hasContent({ next_batch: 's1', presence: { events: [{}] } })).toBe(true);
    expect(hasContent({ next_batch: 's1', to_device: { events: [{}] } })).toBe(true);
    expect(hasContent({ next_batch: 's1', device_lists: { changed: ['@a:x'], left: [] } })).toBe(true);
  });
});
