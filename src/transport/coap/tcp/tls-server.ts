/**
 * CoAP over TLS with pre-shared keys (RFC 8323 over node:tls, TLS 1.2 PSK): the second way a
 * sensor can talk to us without its access token on the wire, for devices and tools that have
 * TLS but no OSCORE — notably libcoap's `coap-client-openssl` as shipped in Debian 12, which runs
 * unmodified against this listener (`coaps+tcp://`, `-u <identity> -k <key>`).
 *
 * The PSK identity names a sensor's security context and the key is derived from it (see
 * services/oscore/tls-psk.ts), so one `lattice sensor add` serves both. The connection is the
 * session: every request on it runs as the sensor's device (re-checked per request, so deleting
 * the device ends the connection at its next request), and option 256 is ignored.
 *
 * One listener per CoAP UDP listener, on the same port number over TCP. Signaling (§5): we send
 * our CSM first (Max-Message-Size), answer Ping with Pong, close on Release/Abort. No BERT: large
 * bodies go block-wise as over UDP, through the same request handler.
 */

import { createServer, type Server, type TLSSocket } from 'node:tls';
import { Block1Assembler } from '../block1-assembler.js';
import { Block2Cache } from '../block2-cache.js';
import { withBoundRoom } from '../bound-room.js';
import type { Dispatch } from '../dispatch-contract.js';
import { endpointOf, type CoapEndpoint } from '../endpoint.js';
import { EndpointSessions } from '../endpoint-sessions.js';
import type { CoapLog, RequestHandler } from '../message-layer.js';
import type { OscoreRecipient } from '../oscore-contract.js';
import { encodeUint } from '../options.js';
import { createRequestHandler } from '../request-handler.js';
import { decodeTcpFrame, encodeTcpMessage, type TcpMessage } from './framing.js';

export interface PskCredential {
  /** The key bytes both ends hold. */
  readonly key: Buffer;
  /** The sensor context the identity names (its device, its room). */
  readonly recipient: OscoreRecipient;
}

export interface PskResolver {
  resolvePsk(identity: string): PskCredential | undefined;
}

export interface CoapTlsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly dispatch: Dispatch;
  readonly psk: PskResolver;
  readonly maxBodyBytes?: number;
  readonly log?: CoapLog;
}

export interface CoapTlsServer {
  readonly address: { readonly host: string; readonly port: number };
  readonly connections: number;
  close(): Promise<void>;
}

/** RFC 8323 signaling codes and options. */
const Signal = { CSM: '7.01', Ping: '7.02', Pong: '7.03', Release: '7.04', Abort: '7.05' } as const;
const MAX_MESSAGE_SIZE_OPTION = 2;
const BLOCKWISE_TTL_MS = 120_000;
const MAX_CONNECTIONS = 10_000;
/** Longer than any sensible long-poll; a sensor that wants to stay connected pings (7.02). */
const IDLE_TIMEOUT_MS = 10 * 60_000;
/** TLS_PSK_WITH_AES_128_CCM_8 is CoAP's mandatory PSK suite (RFC 7252 §9.1.3.1); GCM for everything else. */
const PSK_CIPHERS = 'PSK-AES128-CCM8:PSK-AES128-GCM-SHA256:PSK-AES256-GCM-SHA384:PSK-CHACHA20-POLY1305';

export async function startCoapTlsServer(options: CoapTlsServerOptions): Promise<CoapTlsServer> {
  const maxBodyBytes = options.maxBodyBytes ?? 128 * 1024;
  // The largest message we accept: a whole body plus room for header, token and options.
  const maxMessageSize = maxBodyBytes + 1024;
  const credentials = new WeakMap<TLSSocket, PskCredential>();
  const handler: RequestHandler = createRequestHandler({
    dispatch: options.dispatch,
    // Tokens are never read on this transport (the PSK authenticates), so none is remembered.
    sessions: new EndpointSessions(() => false, 30 * 60_000, 100_000),
    block1: new Block1Assembler(maxBodyBytes, BLOCKWISE_TTL_MS, 1_000, 32 * 1024 * 1024),
    block2: new Block2Cache(BLOCKWISE_TTL_MS, 32 * 1024 * 1024),
    maxBodyBytes,
  });
  const open = new Set<TLSSocket>();

  const server: Server = createServer(
    {
      minVersion: 'TLSv1.2',
      // Node's PSK support is TLS 1.2 (TLS 1.3 PSK needs session tickets we do not issue).
      maxVersion: 'TLSv1.2',
      ciphers: PSK_CIPHERS,
      pskCallback: (socket, identity) => {
        const credential = options.psk.resolvePsk(identity);
        if (credential === undefined) return null;
        credentials.set(socket, credential);
        return credential.key;
      },
    },
    (socket) => {
      const credential = credentials.get(socket);
      if (credential === undefined) {
        socket.destroy();
        return;
      }
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      serveConnection(socket, credential, handler, maxMessageSize, options.log);
    },
  );
  server.on('tlsClientError', (error) => options.log?.debug?.({ err: error }, 'CoAP/TLS handshake failed'));
  // Bounds on what idle or abandoned sensors can hold: connections, and their idle time.
  server.maxConnections = MAX_CONNECTIONS;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : options.port;
  return {
    address: { host: options.host, port },
    get connections() {
      return open.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function serveConnection(socket: TLSSocket, credential: PskCredential, handler: RequestHandler, maxMessageSize: number, log: CoapLog | undefined): void {
  const endpoint: CoapEndpoint = { ...endpointOf(socket.remoteAddress ?? '', socket.remotePort ?? 0), key: `tls:${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}` };
  const closed = new AbortController();
  socket.on('close', () => closed.abort());
  socket.setTimeout(IDLE_TIMEOUT_MS);
  socket.on('timeout', () => socket.end());
  socket.on('error', () => socket.destroy());
  const send = (message: TcpMessage): void => {
    if (!socket.destroyed) socket.write(encodeTcpMessage(message));
  };
  // §5.3: each side sends its CSM first.
  send({ code: Signal.CSM, token: Buffer.alloc(0), options: [{ number: MAX_MESSAGE_SIZE_OPTION, value: encodeUint(maxMessageSize) }], payload: Buffer.alloc(0) });

  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const frame = decodeTcpFrame(buffered, maxMessageSize);
      if (frame.kind === 'need-more') return;
      if (frame.kind === 'error') {
        // §5.6: a message we cannot process ends the connection with Abort.
        send({ code: Signal.Abort, token: Buffer.alloc(0), options: [], payload: Buffer.from(frame.reason) });
        socket.end();
        return;
      }
      buffered = buffered.subarray(frame.consumed);
      onMessage(frame.message);
    }
  });

  function onMessage(message: TcpMessage): void {
    switch (message.code) {
      case Signal.CSM:
      case Signal.Pong:
        return;
      case Signal.Ping:
        send({ code: Signal.Pong, token: message.token, options: [], payload: Buffer.alloc(0) });
        return;
      case Signal.Release:
      case Signal.Abort:
        socket.end();
        return;
    }
    if (!message.code.startsWith('0.') || message.code === '0.00') return; // responses and empty messages: nothing asked for them
    void answer(message);
  }

  async function answer(message: TcpMessage): Promise<void> {
    const requester = credential.recipient.requester(endpoint.address);
    if (requester === undefined) {
      // Revoked (device deleted): refuse and hang up; the next handshake fails too.
      send({ code: '4.01', token: message.token, options: [], payload: Buffer.from('Security context not found') });
      socket.end();
      return;
    }
    try {
      const parts = await handler(
        {
          endpoint,
          message: { type: 'CON', messageId: 0, token: message.token, code: message.code, options: withBoundRoom(message.options, credential.recipient.roomId), payload: message.payload },
          requester,
        },
        { signal: closed.signal, acknowledgeNow: () => {} },
      );
      // No-Response over TCP: nothing at all is sent back (there is no ACK to send).
      if (parts.suppressed !== true) send({ code: parts.code, token: message.token, options: parts.options, payload: parts.payload });
    } catch (error) {
      log?.warn({ err: error }, 'CoAP/TLS request failed');
      send({ code: '5.00', token: message.token, options: [], payload: Buffer.alloc(0) });
    }
  }
}
