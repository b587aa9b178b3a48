import { request, type Dispatcher } from 'undici';
import { formatHostPort } from '../../core/server-name.js';

/**
 * One HTTPS exchange with one IP address: the connection goes to the address we chose (after the
 * SSRF guard), while the Host header (and so the TLS SNI and the name the certificate must
 * carry; undici derives the server name from Host) is the name discovery gave. The body is read
 * up to a limit, so a hostile peer cannot make us buffer without end.
 */

export interface HttpsTarget {
  /** IP literal to connect to. */
  readonly address: string;
  readonly port: number;
  readonly hostHeader: string;
}

export interface HttpsExchange {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Path and query as sent. */
  readonly pathAndQuery: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly signal: AbortSignal;
  readonly maxResponseBytes: number;
  /** Overrides the agent's headers timeout for this exchange (media: the remote may wait for an upload). */
  readonly headersTimeoutMs?: number;
}

export interface HttpsResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
}

export async function httpsRequest(dispatcher: Dispatcher, target: HttpsTarget, exchange: HttpsExchange): Promise<HttpsResponse> {
  const url = `https://${formatHostPort(target.address, target.port)}${exchange.pathAndQuery}`;
  const response = await request(url, {
    dispatcher,
    method: exchange.method,
    headers: { ...exchange.headers, host: target.hostHeader },
    body: exchange.body,
    signal: exchange.signal,
    ...(exchange.headersTimeoutMs !== undefined ? { headersTimeout: exchange.headersTimeoutMs } : {}),
  });
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > exchange.maxResponseBytes) {
    response.body.destroy();
    throw new ResponseTooLargeError(`response of ${declared} bytes is over the ${exchange.maxResponseBytes}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > exchange.maxResponseBytes) {
      response.body.destroy();
      throw new ResponseTooLargeError(`response is over the ${exchange.maxResponseBytes}-byte limit`);
    }
    chunks.push(buffer);
  }
  return { status: response.statusCode, headers: response.headers, body: new Uint8Array(Buffer.concat(chunks)) };
}
