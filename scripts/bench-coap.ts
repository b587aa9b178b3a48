/**
 * Bytes on the wire for a sensor reading (send one m.room.message, get the reply), counted from
 * the UDP payloads our own sensor client sends and receives and from the TCP payload of an
 * HTTP/1.1+JSON exchange (TLS and TCP/IP headers excluded on both sides; CoAP header, token and
 * options included). `benchCoap()` is what scripts/bench.ts prints.
 *
 * The send goes through the real dispatcher and storage of a homeserver in a temporary data dir.
 * If the rooms endpoints are not in the endpoint table yet, a stand-in /send endpoint answers
 * with an event ID of the real size (room v12: "$" + 43 characters, and a room ID of the same
 * size), so the byte counts are those of the real exchange; `mode` says which ran.
 */

import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createDispatcher, type AnyEndpoint } from '../src/api/dispatch.js';
import { jsonObjectBody, ok } from '../src/api/endpoint.js';
import { endpoint } from '../src/api/define.js';
import { endpointTable } from '../src/api/table.js';
import { parseConfigFile, resolveConfig } from '../src/config.js';
import { createHomeserver } from '../src/homeserver.js';
import type { JsonObject } from '../src/core/json.js';
import { protectRequest } from '../src/core/oscore/protect.js';
import { createSecurityContext } from '../src/core/oscore/security-context.js';
import { SensorClient, type SensorRequest } from '../src/transport/coap/client/sensor-client.js';
import { decodeMessage, emptyMessage, encodeMessage } from '../src/transport/coap/message.js';
import { encodeUint, Opt, type RawOption } from '../src/transport/coap/options.js';
import { startCoapServer } from '../src/transport/coap/server.js';
import { startHttpServer } from '../src/transport/http.js';

export interface ExchangeBytes {
  readonly request: number;
  readonly reply: number;
  readonly total: number;
}

export interface CoapBenchFigures {
  /** 'real': the rooms engineer's /send and createRoom; 'stand-in': same-size answers (see above). */
  readonly mode: 'real' | 'stand-in';
  readonly roomIdLength: number;
  readonly reading: Readonly<Record<string, ExchangeBytes>>;
  /** One CoAP ping (empty CON) and its RST: what keeps a NAT binding open. */
  readonly keepAlive: ExchangeBytes;
  /** UDP payload of one Observe notification carrying one new m.room.message (benchObserveNotification). */
  readonly observeNotification?: ObserveNotificationBytes;
}

const GENEROUS = { per_second: 10_000, burst_count: 10_000 };
const V12_ID = 'x'.repeat(43);

/** Stand-ins with the real paths, auth and answer sizes, used only while the table lacks them. */
const standIns: AnyEndpoint[] = [
  endpoint({
    id: 'bench.createRoom',
    method: 'POST',
    path: '/_matrix/client/v3/createRoom',
    auth: 'user',
    rateLimit: 'none',
    async handler() {
      return ok({ room_id: `!${V12_ID}` });
    },
  }),
  endpoint({
    id: 'bench.sendMessage',
    method: 'PUT',
    path: '/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}',
    aliases: ['/_matrix/client/r0/rooms/{roomId}/send/{eventType}/{txnId}'],
    auth: 'user',
    rateLimit: 'message',
    async handler() {
      return ok({ event_id: `$${V12_ID}` });
    },
  }),
];

function hasRealSend(): boolean {
  return endpointTable.some((e) => e.method === 'PUT' && e.path.endsWith('/send/{eventType}/{txnId}'));
}

/** A sensor reading as the sensor would send it: MSC3079 path enum 9, CBOR with integer keys. */
function reading(room: string, txnId: string, noResponse: boolean): SensorRequest {
  return {
    method: 'PUT',
    path: ['9', room, 'm.room.message', txnId],
    body: { msgtype: 'm.text', body: '21.5 °C' },
    ...(noResponse ? { noResponse: 2 } : {}),
  };
}

/** Sends one request (after `warmUp` unmeasured ones) and counts the datagrams of the measured one. */
async function measure(makeClient: (count: (direction: 'out' | 'in', d: Buffer) => void) => SensorClient, requests: readonly SensorRequest[]): Promise<ExchangeBytes> {
  let counting = false;
  let request = 0;
  let reply = 0;
  const client = makeClient((direction, d) => {
    if (!counting) return;
    if (direction === 'out') request += d.length;
    else reply += d.length;
  });
  try {
    for (let i = 0; i < requests.length; i++) {
      counting = i === requests.length - 1;
      const answer = await client.request(requests[i]!);
      if (!answer.code.startsWith('2.') && answer.code !== '0.00') throw new Error(`bench request failed: ${answer.code} ${answer.text}`);
    }
  } finally {
    client.close();
  }
  return { request, reply, total: request + reply };
}

/** One HTTP/1.1 exchange on a raw TCP socket, counting the bytes each way. */
function httpExchange(port: number, head: string, body: string): Promise<ExchangeBytes> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const request = Buffer.from(`${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 'utf8');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = /content-length: (\d+)/i.exec(text.slice(0, end));
      if (length !== null && text.length >= end + 4 + Number(length[1])) {
        const reply = Buffer.concat(chunks).length;
        socket.end();
        resolve({ request: request.length, reply, total: request.length + reply });
      }
    });
    socket.on('error', reject);
    socket.write(request);
  });
}

export async function benchCoap(): Promise<CoapBenchFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lattice-bench-coap-'));
  const config = resolveConfig(
    parseConfigFile({ rc_message: GENEROUS, rc_registration: GENEROUS, rc_login: { address: GENEROUS, account: GENEROUS, failed_attempts: GENEROUS } }),
    { dataDir, http: ['127.0.0.1:0'], coap: ['127.0.0.1:0'] },
  );
  const homeserver = createHomeserver(config, { logger: pino({ level: 'silent' }) });
  const logger = pino({ level: 'silent' });
  const real = hasRealSend();
  const table = real ? endpointTable : [...endpointTable, ...standIns];
  const dispatch = createDispatcher(table, homeserver.services);
  const coap = await startCoapServer({ host: '127.0.0.1', port: 0, dispatch, oscore: homeserver.services.sensors.oscore, log: logger });
  const http = await startHttpServer(
    { host: '127.0.0.1', port: 0, tls: undefined, xForwarded: false },
    { dispatch, table, maxRequestBodySize: config.maxRequestBodySize, maxUploadSize: config.maxUploadSize, logger },
  );
  try {
    const { userId } = await homeserver.services.registration.createAccount({ localpart: 'sensor-owner', password: 'bench-password' });
    const session = homeserver.services.sessions.issue({ userId, refreshable: false, clientIp: null });
    const created = await dispatch({
      method: 'POST',
      path: '/_matrix/client/v3/createRoom',
      query: new URLSearchParams(),
      body: { preset: 'private_chat' },
      accessToken: session.accessToken,
      clientIp: '127.0.0.1',
      transport: 'http',
      signal: new AbortController().signal,
    });
    const roomId = jsonObjectBody(created)?.['room_id'];
    if (typeof roomId !== 'string') throw new Error(`createRoom failed: ${created.status}`);
    const coapAddress = { host: '127.0.0.1', port: coap.address.port };
    const credentials = homeserver.services.sensors.add({ userId, deviceName: 'bench sensor', roomId, coap: coapAddress });
    // The sensor's sequence number carries on from one measurement to the next, as on a real sensor.
    let sequenceNumber = 0;
    const oscore = (room: string, noResponse: boolean) => {
      const firstSequenceNumber = sequenceNumber;
      sequenceNumber += 2;
      return measure(
        (count) => SensorClient.fromCredentials(credentials, { tokenLength: 1, integerKeys: true, onDatagram: count, firstSequenceNumber }),
        [reading(room, `w${firstSequenceNumber}`, false), reading(room, `o${firstSequenceNumber}`, noResponse)],
      );
    };
    // Plain CoAP: loopback, so the server may remember the token after the first request (MSC3079 stickiness).
    const plain = (sticky: boolean, noResponse: boolean) =>
      measure(
        (count) => new SensorClient({ ...coapAddress, accessToken: session.accessToken, stickyToken: sticky, tokenLength: 1, integerKeys: true, onDatagram: count }),
        [reading(roomId, `p${sticky ? 's' : 't'}`, false), reading(roomId, `p${sticky ? 's' : 't'}${noResponse ? 'q' : 'r'}`, noResponse)],
      );

    const figures: Record<string, ExchangeBytes> = {
      'OSCORE, room ID in the path': await oscore(roomId, false),
      'OSCORE, room bound to the context ("!")': await oscore('!', false),
      'OSCORE, bound room + No-Response (empty ACK)': await oscore('!', true),
      'CoAP, sticky token (loopback only)': await plain(true, false),
      'CoAP, sticky token + No-Response': await plain(true, true),
      'CoAP, token in every request': await plain(false, false),
    };
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/h1`;
    figures['HTTP/1.1 + JSON (no TLS, no TCP/IP headers)'] = await httpExchange(
      http.port,
      `PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1:${http.port}\r\nAuthorization: Bearer ${session.accessToken}\r\nContent-Type: application/json\r\n`,
      JSON.stringify({ msgtype: 'm.text', body: '21.5 °C' }),
    );
    // A ping is an empty CON (4 bytes) answered by an RST (4 bytes).
    const keepAlive: ExchangeBytes = { request: 4, reply: 4, total: 8 };
    return { mode: real ? 'real' : 'stand-in', roomIdLength: roomId.length, reading: figures, keepAlive, observeNotification: await benchObserveNotification() };
  } finally {
    await http.close();
    await coap.close();
    await homeserver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The lines scripts/bench.ts prints. */
export function formatCoapBench(f: CoapBenchFigures): string[] {
  const lines = [`coap: bytes on the wire for one sensor reading (send + reply; ${f.mode === 'real' ? 'real /send' : 'stand-in /send with real-size IDs'}, room ID ${f.roomIdLength} chars)`];
  for (const [name, b] of Object.entries(f.reading)) {
    lines.push(`  ${name.padEnd(48)} ${String(b.request).padStart(4)} + ${String(b.reply).padStart(3)} = ${String(b.total).padStart(4)} B${b.total <= 100 ? '  (goal ≤ 100 met)' : ''}`);
  }
  lines.push(`  keep-alive (CoAP ping + RST)                     ${f.keepAlive.request} + ${f.keepAlive.reply} = ${f.keepAlive.total} B per ping (MSC3079: ≈ 88 B per heartbeat)`);
  lines.push('  MSC3079 reference: ≈ 180 B send / 150 B reply');
  const o = f.observeNotification;
  if (o !== undefined) {
    lines.push(`coap: Observe notification on /sync with one new m.room.message (lean filter, integer keys, 1-byte token, room ID ${o.roomIdLength} chars)`);
    lines.push(`  CoAP                                             ${String(o.bytes).padStart(4)} B (+ 4 B ACK)${o.bytes <= 1152 ? '  (one datagram)' : ''}`);
    lines.push(`  CoAP, first message of its sender (member event) ${String(o.firstFromSender).padStart(4)} B`);
    lines.push(`  OSCORE (own Partial IV per notification)         ${String(o.oscore).padStart(4)} B`);
  }
  return lines;
}

// `node dist/scripts/bench-coap.js` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of formatCoapBench(await benchCoap())) console.log(line);
}

export interface ObserveNotificationBytes {
  /** UDP payload of the notification (plain CoAP, steady state: the sender's member event already sent). */
  readonly bytes: number;
  /** The same, for the first message of a sender (lazy-loaded member event included). */
  readonly firstFromSender: number;
  /** The steady-state notification under OSCORE (a sensor device observing). */
  readonly oscore: number;
  readonly roomIdLength: number;
}

/**
 * Bytes of UDP payload of one Observe notification carrying one new m.room.message: a client
 * registers on /7 (Observe 0, 1-byte token, MSC3079 integer keys, lean filter by default) against
 * a real homeserver, another user sends messages through the dispatcher, and the notification
 * datagrams are measured as they arrive (and ACKed, 4 bytes each).
 */
export async function benchObserveNotification(): Promise<ObserveNotificationBytes> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lattice-bench-observe-'));
  const config = resolveConfig(
    parseConfigFile({ rc_message: GENEROUS, rc_registration: GENEROUS, rc_login: { address: GENEROUS, account: GENEROUS, failed_attempts: GENEROUS } }),
    { dataDir, http: [], coap: ['127.0.0.1:0'] },
  );
  const homeserver = createHomeserver(config, { logger: pino({ level: 'silent' }) });
  const started = await homeserver.start();
  const port = started.coap[0]!.port;
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const inbox: Buffer[] = [];
  let wake: (() => void) | undefined;
  socket.on('message', (datagram) => {
    const decoded = decodeMessage(datagram);
    // Notifications are CON: acknowledge them as a client would.
    if (decoded.ok && decoded.message.type === 'CON') socket.send(emptyMessage('ACK', decoded.message.messageId), port, '127.0.0.1');
    inbox.push(datagram);
    wake?.();
  });
  const next = async (): Promise<Buffer> => {
    const deadline = Date.now() + 5_000;
    while (inbox.length === 0) {
      if (Date.now() > deadline) throw new Error('bench: no Observe notification');
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return inbox.shift()!;
  };
  const call = async (method: string, path: string, accessToken: string, body?: JsonObject, query = ''): Promise<JsonObject> => {
    const response = await homeserver.dispatch({
      method,
      path,
      query: new URLSearchParams(query),
      body,
      accessToken,
      clientIp: '127.0.0.1',
      transport: 'http',
      signal: new AbortController().signal,
    });
    const answer = jsonObjectBody(response);
    if (response.status !== 200 || answer === undefined) throw new Error(`bench: ${method} ${path}: ${response.status}`);
    return answer;
  };
  let messageId = 0x100;
  let txn = 0;
  try {
    const owner = await homeserver.services.registration.createAccount({ localpart: 'observer', password: 'bench-password' });
    const friend = await homeserver.services.registration.createAccount({ localpart: 'friend', password: 'bench-password' });
    const ownerSession = homeserver.services.sessions.issue({ userId: owner.userId, refreshable: false, clientIp: null });
    const friendSession = homeserver.services.sessions.issue({ userId: friend.userId, refreshable: false, clientIp: null });
    const created = await call('POST', '/_matrix/client/v3/createRoom', friendSession.accessToken, { preset: 'private_chat', invite: [owner.userId] });
    const roomId = String(created['room_id']);
    await call('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, ownerSession.accessToken, {});
    const say = (text: string): Promise<JsonObject> =>
      call('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${++txn}`, friendSession.accessToken, { msgtype: 'm.text', body: text });
    const since = String((await call('GET', '/_matrix/client/v3/sync', ownerSession.accessToken, undefined, 'timeout=0'))['next_batch']);
    const registration = (token: Buffer, options: RawOption[], code = '0.01', payload: Buffer = Buffer.alloc(0)): Buffer =>
      encodeMessage({ type: 'CON', code, messageId: messageId++, token, options: [...options].sort((a, b) => a.number - b.number), payload });
    const plainOptions: RawOption[] = [
      { number: Opt.Observe, value: encodeUint(0) },
      { number: Opt.UriPath, value: Buffer.from('7') },
      { number: Opt.UriQuery, value: Buffer.from(`since=${since}`) },
      { number: Opt.AccessToken, value: Buffer.from(ownerSession.accessToken) },
      { number: Opt.CborKeyVersion, value: encodeUint(1) },
    ];

    // Plain CoAP: the first message of a sender carries its member event (lazy loading), the next one is typical.
    socket.send(registration(Buffer.of(1), plainOptions), port, '127.0.0.1');
    await next(); // the registration's answer
    await say('21.5 °C');
    const first = await next();
    await say('21.6 °C');
    const steady = await next();
    socket.send(registration(Buffer.of(1), plainOptions.map((o) => (o.number === Opt.Observe ? { ...o, value: encodeUint(1) } : o))), port, '127.0.0.1');
    await next(); // deregistered

    // OSCORE: a sensor device of the same user observes; the member event went to the plain device only, so skip one.
    const credentials = homeserver.services.sensors.add({ userId: owner.userId, deviceName: 'bench observer', roomId, coap: { host: '127.0.0.1', port } });
    const context = createSecurityContext({ masterSecret: credentials.masterSecret, masterSalt: credentials.masterSalt, idContext: undefined, senderId: credentials.senderId, recipientId: credentials.recipientId });
    const sinceNow = String((await call('GET', '/_matrix/client/v3/sync', ownerSession.accessToken, undefined, 'timeout=0'))['next_batch']);
    const inner: RawOption[] = [
      { number: Opt.Observe, value: encodeUint(0) },
      { number: Opt.UriPath, value: Buffer.from('7') },
      { number: Opt.UriQuery, value: Buffer.from(`since=${sinceNow}`) },
      { number: Opt.CborKeyVersion, value: encodeUint(1) },
    ];
    const { message } = protectRequest(context, 0, { code: '0.01', options: inner, payload: Buffer.alloc(0) });
    socket.send(registration(Buffer.of(2), [...message.options], message.code, message.payload), port, '127.0.0.1');
    await next();
    await say('21.7 °C');
    await next(); // first from the sender for this device
    await say('21.8 °C');
    const oscore = await next();
    return { bytes: steady.length, firstFromSender: first.length, oscore: oscore.length, roomIdLength: roomId.length };
  } finally {
    socket.close();
    await homeserver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
