import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * A bare HTTPS server standing in for a peer (a .well-known host, a federation target, a
 * transaction receiver). It records every request with the Host header and the TLS SNI it came
 * with, and counts TLS connections (connection reuse).
 */

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly host: string | undefined;
  /** The SNI the client sent; false when it sent none (IP literals). */
  readonly servername: string | false;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** The client's port: requests sharing it came over one connection. */
  readonly remotePort: number | undefined;
}

export type FakeHandler = (req: RecordedRequest, res: ServerResponse) => void;

export interface FakeHttpsServer {
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** TLS connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

export async function startFakeHttps(options: { host: string; port?: number; certPath: string; keyPath: string; handler: FakeHandler }): Promise<FakeHttpsServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer({ cert: readFileSync(options.certPath), key: readFileSync(options.keyPath) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        host: req.headers.host,
        servername: (req.socket as TLSSocket).servername ?? false,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        remotePort: req.socket.remotePort,
      };
      requests.push(recorded);
      options.handler(recorded, res);
    });
  });
  const state = { connections: 0 };
  server.on('secureConnection', () => state.connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    requests,
    get connections() {
      return state.connections;
    },
    set connections(n: number) {
      state.connections = n;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
