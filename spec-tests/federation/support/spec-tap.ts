import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { Agent, request } from 'undici';
import { specValidator } from '../../support/client.js';
import type { TestCa } from './test-ca.js';

/**
 * A wire tap in front of one server: a TLS endpoint holding a certificate for the server's name
 * that passes every federation request through to the real server unchanged and checks both
 * directions against the spec's server-server OpenAPI definitions (request body, response body
 * for the status answered). Peers reach the server through the tap (their
 * federation_address_overrides point at it), so every exchange between real instances is
 * checked without either knowing. What Synapse would refuse to parse shows up here as a
 * violation instead of as a silent interop failure.
 */

export interface TappedExchange {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The spec operation (undefined: a path the spec does not define). */
  readonly operationId: string | undefined;
}

export interface SpecTap {
  readonly port: number;
  readonly exchanges: TappedExchange[];
  readonly violations: string[];
  close(): Promise<void>;
}

/** `target`: the real server (a restarted server keeps its port, so the tap outlives restarts). */
export async function startSpecTap(options: { name: string; host: string; ca: TestCa; target: { host: string; port: number } }): Promise<SpecTap> {
  const cert = options.ca.issue(`${options.name}-tap`, [options.name], [options.host]);
  const upstream = new Agent({ connect: { ca: readFileSync(options.ca.caCertPath, 'utf8'), servername: options.name } });
  const validator = specValidator();
  const exchanges: TappedExchange[] = [];
  const violations: string[] = [];
  const { target } = options;

  const server: Server = createServer({ cert: readFileSync(cert.certPath), key: readFileSync(cert.keyPath) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const method = req.method ?? 'GET';
        const url = req.url ?? '/';
        const path = url.split('?')[0]!;
        const body = Buffer.concat(chunks);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'connection' && k !== 'keep-alive') headers[k] = v;
        const isJsonRequest = (req.headers['content-type'] ?? '').startsWith('application/json');
        if (body.length > 0 && isJsonRequest) record(() => validator.checkRequest(method, path, JSON.parse(body.toString('utf8'))));
        try {
          const answer = await request(`https://${target.host}:${target.port}${url}`, {
            dispatcher: upstream,
            method: method as 'GET',
            headers,
            body: body.length > 0 ? body : undefined,
          });
          const bytes = Buffer.from(await answer.body.arrayBuffer());
          const contentType = String(answer.headers['content-type'] ?? '');
          exchanges.push({ method, path, status: answer.statusCode, operationId: validator.operationId(method, path) });
          if (contentType.startsWith('application/json')) {
            record(() => validator.check(method, path, answer.statusCode, JSON.parse(bytes.toString('utf8'))));
          }
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(answer.headers)) {
            if (typeof v === 'string' && !['connection', 'keep-alive', 'transfer-encoding'].includes(k)) out[k] = v;
          }
          res.writeHead(answer.statusCode, out);
          res.end(bytes);
        } catch (err) {
          // The server behind the tap is down (a partition test): the peer sees a failed connection.
          res.destroy(err instanceof Error ? err : undefined);
        }
      })();
    });
  });

  function record(check: () => void): void {
    try {
      check();
    } catch (err) {
      violations.push(err instanceof Error ? err.message : String(err));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    exchanges,
    violations,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream.close();
    },
  };
}
