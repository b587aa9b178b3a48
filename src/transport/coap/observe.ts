/**
 * RFC 7641 Observe on /sync (MSC3079 "HTTP long-polling -> CoAP OBSERVE").
 *
 * A GET /sync (or /7) with Observe: 0 registers (request-handler.ts admits it, answers with the
 * normal sync computed at once, plus an Observe value and Max-Age, and then activates the
 * registration here). From then on each registration runs one loop:
 *
 *   ┌► long-poll the shared dispatcher: GET /sync?since=<acked>&timeout=≤50 s   (the sync engine
 *   │    parks on the Notifier, so a new event in one of the user's rooms wakes it at once)
 *   │  nothing new ──────────────────────────────────────────────────────────────┐ (loop)
 *   │  non-2.xx (401 after logout …) → one last CON notification without Observe, drop
 *   │  something new (or a heartbeat is due) → ONE Confirmable notification:
 *   │      Observe value (24-bit, increasing), Max-Age, block 0 + ETag + Size2 if large
 *   │      ACK ──► large? wait until the client fetched the last block (GET + Block2
 *   │              from the Block2 cache, same key as the registration's GET) ──► acked := next_batch
 *   │      RST ──► drop                       (RFC 7641 §3.6)
 *   │      timeout (MAX_RETRANSMIT) ──► missed++; drop at maxMissed, else recompute at once
 *   └─────┘
 *
 * **What the acknowledged next_batch buys.** Every notification is computed from `acked`, the
 * next_batch of the last notification the client confirmed (for a block-wise one: confirmed
 * and fetched to the last block). One that is never confirmed does not move it, so the next
 * notification is recomputed from the older token and carries everything again: nothing is
 * lost (at-least-once; exactly once whenever the ACKs arrive). Changes that happen while a
 * notification is out are not sent separately: the next long-poll starts from the new `acked`
 * and returns at once with all of them (coalescing). One notification per registration is out
 * at any time.
 *
 * **Cleanup.** A registration ends on RST to a notification, on GET with Observe: 1 (same
 * endpoint and token), on a new registration with the same endpoint and token (replaced), on
 * `maxMissed` notifications in a row never acknowledged, when its device is deleted (logout,
 * logout/all, DELETE /devices, deactivation: the DeviceService event cuts the long-poll short, the
 * recomputation gets 401 and the client gets a final 4.01 notification), and on server close.
 * Registrations are bounded per endpoint and in total; over the bound a GET+Observe is answered
 * as a plain GET without Observe (RFC 7641 §4.1: "unwilling to add the client").
 *
 * **Heartbeat.** When nothing was sent for `heartbeatMs`, the current (empty) sync goes out as a
 * Confirmable notification: the client learns the registration is alive (Max-Age says when to
 * expect the next one, RFC 7641 §4.3.1), and we learn the client is (RFC 7641 §4.5).
 */

import type { CoapTiming } from './constants.js';
import { jsonObjectBody, type Dispatch, type EndpointResponse, type Requester } from './dispatch-contract.js';
import type { CoapEndpoint } from './endpoint.js';
import type { CoapLog, ResponseParts } from './message-layer.js';
import type { DeviceEvents, NotificationSecurity } from './observe-contract.js';
import type { DeliveryOutcome } from './retransmitter.js';

export interface ObserveOptions {
  /** Registrations one endpoint may hold (default 4). */
  readonly maxPerEndpoint?: number;
  /** Registrations in all (default 10 000; each holds one parked long-poll). */
  readonly maxTotal?: number;
  /** A notification goes out at least this often, empty if nothing happened (default 10 min). */
  readonly heartbeatMs?: number;
  /** Notifications in a row that may time out (MAX_RETRANSMIT) before the registration is dropped (default 2). */
  readonly maxMissed?: number;
  /** How long the client has to fetch the remaining blocks of a large notification (default 60 s). */
  readonly blockFetchTimeoutMs?: number;
  /** The first Observe value handed out (tests start near 2^24 to see the wrap). */
  readonly firstObserveValue?: number;
  /** Device deletions: the registrations of those devices end at once (final 4.01). */
  readonly devices?: DeviceEvents;
}

/** What the request handler makes of a Matrix answer for this registration. */
export interface RenderedNotification {
  readonly parts: ResponseParts;
  /** The ETag when the body went block-wise (block 0 sent, the rest in the Block2 cache). */
  readonly blockwise: Buffer | undefined;
}

/** `observe` undefined: a final (error) notification, without Observe. */
export type NotificationRenderer = (response: EndpointResponse, observe: number | undefined) => RenderedNotification;

export interface ObserveDeps {
  readonly dispatch: Dispatch;
  readonly send: (endpoint: CoapEndpoint, token: Buffer, parts: ResponseParts) => { readonly messageId: number; readonly outcome: Promise<DeliveryOutcome> };
  readonly cancel: (endpoint: CoapEndpoint, messageId: number) => void;
  readonly timing: CoapTiming;
  readonly log?: CoapLog;
}

/** What a registration needs once its initial response is known. */
export interface Activation {
  /** The v3 path (always /sync here). */
  readonly path: string;
  /** The registration's query as the client sent it, with the lean filter added where it applies. */
  readonly query: URLSearchParams;
  readonly accessToken: string | undefined;
  /** The Block2 cache key a follow-up GET of this registration uses. */
  readonly block2Key: string;
  readonly render: NotificationRenderer;
  /** The initial response's next_batch. */
  readonly nextBatch: string;
  /** The registration's own `since` (what to recompute from if a block-wise initial response is never fetched). */
  readonly since: string | undefined;
  /** ETag of a block-wise initial response. */
  readonly blockwise: Buffer | undefined;
  /** Known when the request was authenticated by a security context. */
  readonly requester: Requester | undefined;
}

/** Cut short of the sync engine's 60 s cap, so a timeout is always ours. */
const LONG_POLL_MS = 50_000;
const OBSERVE_MASK = 0xff_ffff;

interface BlockWait {
  readonly etag: Buffer;
  finish(fetched: boolean): void;
}

export class Registration {
  active = false;
  acked: string | undefined;
  missed = 0;
  lastSentAt = 0;
  user: { readonly userId: string; readonly deviceId: string } | undefined;
  activation: Activation | undefined;
  /** The long-poll under way; aborted to make the loop look again at once. */
  poll: AbortController | undefined;
  inFlight: number | undefined;
  blockWait: BlockWait | undefined;
  /** The last block-wise body the client fetched to the end (its ACK may come after the blocks). */
  fetchedEtag: Buffer | undefined;

  constructor(
    readonly key: string,
    /** The peer as the request handler saw it (per OSCORE context). */
    readonly endpoint: CoapEndpoint,
    /** Where notifications go. */
    readonly transport: CoapEndpoint,
    readonly token: Buffer,
    readonly security: NotificationSecurity | undefined,
  ) {}
}

export class ObserveRegistry {
  private readonly byKey = new Map<string, Registration>();
  private readonly perEndpoint = new Map<string, number>();
  private readonly byBlock2Key = new Map<string, Set<Registration>>();
  private observeCounter: number;
  private closed = false;
  private readonly maxPerEndpoint: number;
  private readonly maxTotal: number;
  private readonly heartbeatMs: number;
  private readonly maxMissed: number;
  private readonly blockFetchTimeoutMs: number;
  /** Max-Age of every notification: the next one comes within the heartbeat and its retransmissions. */
  readonly maxAgeSeconds: number;

  constructor(
    private readonly deps: ObserveDeps,
    options: ObserveOptions = {},
  ) {
    this.maxPerEndpoint = options.maxPerEndpoint ?? 4;
    this.maxTotal = options.maxTotal ?? 10_000;
    this.heartbeatMs = options.heartbeatMs ?? 600_000;
    this.maxMissed = Math.max(1, options.maxMissed ?? 2);
    this.blockFetchTimeoutMs = options.blockFetchTimeoutMs ?? 60_000;
    this.observeCounter = (options.firstObserveValue ?? 1) & OBSERVE_MASK;
    const t = deps.timing;
    // MAX_TRANSMIT_WAIT (RFC 7252 §4.8.2): how long the last transmission of a CON may take to be given up.
    const maxTransmitWaitMs = t.ackTimeoutMs * (2 ** (t.maxRetransmit + 1) - 1) * t.ackRandomFactor;
    this.maxAgeSeconds = Math.ceil((this.heartbeatMs + maxTransmitWaitMs) / 1000);
    options.devices?.onDeleted((userId, deviceIds) => this.devicesDeleted(userId, deviceIds));
  }

  get size(): number {
    return this.byKey.size;
  }

  /**
   * Reserves a registration for (endpoint, token), replacing one that exists (RFC 7641 §4.1);
   * undefined when over the bounds (the request is then answered as a plain GET).
   */
  admit(endpoint: CoapEndpoint, token: Buffer, security: NotificationSecurity | undefined): Registration | undefined {
    if (this.closed) return undefined;
    const key = registrationKey(endpoint, token);
    const existing = this.byKey.get(key);
    if (existing !== undefined) this.remove(existing);
    if (this.byKey.size >= this.maxTotal) return undefined;
    const count = this.perEndpoint.get(endpoint.key) ?? 0;
    if (count >= this.maxPerEndpoint) return undefined;
    const registration = new Registration(key, endpoint, security?.transportEndpoint ?? endpoint, token, security);
    this.byKey.set(key, registration);
    this.perEndpoint.set(endpoint.key, count + 1);
    return registration;
  }

  /** The registration's initial response is on its way: start notifying. */
  activate(registration: Registration, activation: Activation): void {
    if (this.closed || this.byKey.get(registration.key) !== registration) return;
    registration.activation = activation;
    registration.active = true;
    registration.acked = activation.nextBatch;
    registration.lastSentAt = Date.now();
    if (activation.requester !== undefined) registration.user = { userId: activation.requester.userId, deviceId: activation.requester.deviceId };
    let set = this.byBlock2Key.get(activation.block2Key);
    if (set === undefined) this.byBlock2Key.set(activation.block2Key, (set = new Set()));
    set.add(registration);
    void this.run(registration).catch((error: unknown) => {
      this.deps.log?.warn({ err: error, endpoint: registration.transport.key }, 'CoAP Observe registration failed');
      this.remove(registration);
    });
  }

  /** The initial response was an error (or the handler gave up): no registration after all. */
  abandon(registration: Registration): void {
    if (this.byKey.get(registration.key) === registration) this.remove(registration);
  }

  /** GET with Observe: 1 (RFC 7641 §3.6). */
  deregister(endpoint: CoapEndpoint, token: Buffer): boolean {
    const registration = this.byKey.get(registrationKey(endpoint, token));
    if (registration === undefined) return false;
    this.remove(registration);
    return true;
  }

  /** The next Observe option value: one counter for all registrations, so a replacement's values keep increasing too. */
  nextObserveValue(): number {
    this.observeCounter = (this.observeCounter + 1) & OBSERVE_MASK;
    return this.observeCounter;
  }

  /** The request handler served the last block of a stored body (a client finished a Block2 transfer). */
  blocksServed(block2Key: string, etag: Buffer): void {
    for (const registration of this.byBlock2Key.get(block2Key) ?? []) {
      registration.fetchedEtag = etag;
      if (registration.blockWait?.etag.equals(etag) === true) registration.blockWait.finish(true);
    }
  }

  close(): void {
    this.closed = true;
    for (const registration of [...this.byKey.values()]) this.remove(registration);
  }

  private devicesDeleted(userId: string, deviceIds: readonly string[]): void {
    for (const registration of this.byKey.values()) {
      const user = registration.user;
      // A registration whose owner is not known yet is checked again too (whoami still under way).
      if (user !== undefined && (user.userId !== userId || !deviceIds.includes(user.deviceId))) continue;
      registration.poll?.abort();
    }
  }

  private remove(registration: Registration): void {
    registration.active = false;
    if (this.byKey.get(registration.key) === registration) {
      this.byKey.delete(registration.key);
      const left = (this.perEndpoint.get(registration.endpoint.key) ?? 1) - 1;
      if (left <= 0) this.perEndpoint.delete(registration.endpoint.key);
      else this.perEndpoint.set(registration.endpoint.key, left);
    }
    const block2Key = registration.activation?.block2Key;
    if (block2Key !== undefined) {
      const set = this.byBlock2Key.get(block2Key);
      set?.delete(registration);
      if (set?.size === 0) this.byBlock2Key.delete(block2Key);
    }
    registration.poll?.abort();
    if (registration.inFlight !== undefined) this.deps.cancel(registration.transport, registration.inFlight);
    registration.blockWait?.finish(false);
  }

  private async run(registration: Registration): Promise<void> {
    const activation = registration.activation!;
    if (registration.user === undefined && registration.security === undefined) void this.learnOwner(registration, activation);

    if (activation.blockwise !== undefined) {
      // A block-wise initial response counts as delivered once the client fetched it to the end.
      if (!(await this.blocksFetched(registration, activation.blockwise))) {
        if (!registration.active) return;
        registration.acked = activation.since;
        registration.missed++;
      }
    }

    while (registration.active) {
      const next = await this.compute(registration, activation);
      if (!registration.active) return;
      switch (next.kind) {
        case 'nothing':
          continue;
        case 'final': {
          // RFC 7641 §4.2: a non-2.xx notification ends the observation; it carries no Observe.
          this.remove(registration);
          const parts = activation.render(next.response, undefined).parts;
          void this.deps.send(registration.transport, registration.token, this.protect(registration, parts)).outcome;
          return;
        }
        case 'notify':
          break;
      }

      const rendered = activation.render(next.response, this.nextObserveValue());
      registration.lastSentAt = Date.now();
      registration.fetchedEtag = undefined;
      const sent = this.deps.send(registration.transport, registration.token, this.protect(registration, rendered.parts));
      registration.inFlight = sent.messageId;
      const outcome = await sent.outcome;
      registration.inFlight = undefined;
      if (!registration.active || outcome === 'closed') return;
      if (outcome === 'reset') {
        this.remove(registration);
        return;
      }
      let delivered = outcome === 'acked';
      if (delivered && rendered.blockwise !== undefined) delivered = await this.blocksFetched(registration, rendered.blockwise);
      if (!registration.active) return;
      if (delivered) {
        registration.acked = next.nextBatch;
        registration.missed = 0;
      } else if (++registration.missed >= this.maxMissed) {
        this.deps.log?.debug?.({ endpoint: registration.transport.key, token: registration.token.toString('hex') }, 'CoAP Observe registration dropped: notifications not acknowledged');
        this.remove(registration);
        return;
      }
      // Not delivered: the next round recomputes from the older `acked`, at once.
    }
  }

  /** The next notification for a registration: long-polls the dispatcher from the acknowledged token. */
  private async compute(
    registration: Registration,
    activation: Activation,
  ): Promise<{ kind: 'nothing' } | { kind: 'final'; response: EndpointResponse } | { kind: 'notify'; response: EndpointResponse; nextBatch: string }> {
    let requester: Requester | undefined;
    if (registration.security !== undefined) {
      requester = registration.security.requester();
      if (requester === undefined) return { kind: 'final', response: { status: 401, body: { errcode: 'M_UNKNOWN_TOKEN', error: 'The security context was revoked' } } };
    }
    const sinceSent = Date.now() - registration.lastSentAt;
    // A retry (the last one was never delivered) or a heartbeat goes out whatever the sync says.
    const forced = registration.missed > 0 || sinceSent >= this.heartbeatMs;
    const timeoutMs = forced ? 0 : Math.min(this.heartbeatMs - sinceSent, LONG_POLL_MS);

    const query = new URLSearchParams(activation.query);
    query.delete('since');
    query.delete('timeout');
    query.delete('full_state');
    if (registration.acked !== undefined) query.set('since', registration.acked);
    query.set('timeout', String(Math.max(0, Math.floor(timeoutMs))));
    const poll = new AbortController();
    registration.poll = poll;
    const started = Date.now();
    let response: EndpointResponse;
    try {
      response = await this.deps.dispatch({
        method: 'GET',
        path: activation.path,
        query,
        body: undefined,
        accessToken: requester === undefined ? activation.accessToken : undefined,
        authenticated: requester,
        clientIp: registration.transport.address,
        transport: 'coap',
        signal: poll.signal,
      });
    } finally {
      if (registration.poll === poll) registration.poll = undefined;
    }
    // Cut short by us (device deleted, deregistered): look again from the top.
    if (poll.signal.aborted) return { kind: 'nothing' };
    if (response.status < 200 || response.status >= 300) return { kind: 'final', response };
    const body = jsonObjectBody(response);
    const nextBatch = body?.['next_batch'];
    if (body === undefined || typeof nextBatch !== 'string') return { kind: 'final', response: { status: 500, body: { errcode: 'M_UNKNOWN', error: 'sync answered without next_batch' } } };
    // The sync engine only answers a long-poll early when it has something; a timeout is empty.
    const early = timeoutMs > 0 && Date.now() - started < timeoutMs - 20;
    if (forced || early || hasContent(body)) return { kind: 'notify', response, nextBatch };
    // Nothing for this client in (acked, next_batch]: skipping it loses nothing and keeps the window short.
    registration.acked = nextBatch;
    return { kind: 'nothing' };
  }

  private protect(registration: Registration, parts: ResponseParts): ResponseParts {
    return registration.security === undefined ? parts : registration.security.protect(parts);
  }

  /** Resolves true when the client fetched the body with this ETag to its last block. */
  private blocksFetched(registration: Registration, etag: Buffer): Promise<boolean> {
    if (registration.fetchedEtag?.equals(etag) === true) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => wait.finish(false), this.blockFetchTimeoutMs);
      const wait: BlockWait = {
        etag,
        finish: (fetched) => {
          clearTimeout(timer);
          if (registration.blockWait === wait) registration.blockWait = undefined;
          resolve(fetched);
        },
      };
      registration.blockWait = wait;
    });
  }

  /** Who a token-authenticated registration belongs to, so a device deletion finds it. */
  private async learnOwner(registration: Registration, activation: Activation): Promise<void> {
    const response = await this.deps.dispatch({
      method: 'GET',
      path: '/_matrix/client/v3/account/whoami',
      query: new URLSearchParams(),
      body: undefined,
      accessToken: activation.accessToken,
      clientIp: registration.transport.address,
      transport: 'coap',
      signal: AbortSignal.timeout(10_000),
    });
    const body = jsonObjectBody(response);
    if (body === undefined) return;
    const userId = body['user_id'];
    const deviceId = body['device_id'];
    if (typeof userId === 'string' && typeof deviceId === 'string') registration.user = { userId, deviceId };
    else if (response.status === 401) registration.poll?.abort(); // already gone: let the loop find out
  }
}

function registrationKey(endpoint: CoapEndpoint, token: Buffer): string {
  return `${endpoint.key}|${token.toString('hex')}`;
}

/** Whether a sync body has anything for the client (next_batch alone, or counts, are not news). */
export function hasContent(body: Readonly<Record<string, unknown>>): boolean {
  const nonEmptyObject = (v: unknown): boolean => typeof v === 'object' && v !== null && Object.keys(v).length > 0;
  const events = (v: unknown): boolean => {
    if (typeof v !== 'object' || v === null) return false;
    const list = (v as Record<string, unknown>)['events'];
    return Array.isArray(list) && list.length > 0;
  };
  const rooms = body['rooms'];
  if (typeof rooms === 'object' && rooms !== null && Object.values(rooms).some(nonEmptyObject)) return true;
  if (events(body['account_data']) || events(body['presence']) || events(body['to_device'])) return true;
  const deviceLists = body['device_lists'];
  if (typeof deviceLists === 'object' && deviceLists !== null) {
    for (const list of Object.values(deviceLists)) if (Array.isArray(list) && list.length > 0) return true;
  }
  return false;
}
