import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { errorResponse, type AnyEndpoint, type Dispatch } from '../api/dispatch.js';
import type { EndpointResponse } from '../api/endpoint.js';
import { routesOf } from '../api/routes.js';
import { ErrCode, MatrixError, tooLarge } from '../services/errors.js';

/**
 * HTTP/JSON transport: fastify mounts every endpoint of the table (so each route has its own
 * body limit and shows in fastify's route list), and hands each request to the shared dispatch.
 * Routing decisions that matter (404/405, parameters) are dispatch's: the not-found handler
 * calls dispatch too, so both transports answer alike. This file only adapts HTTP.
 */

export interface HttpListenOptions {
  readonly host: string;
  readonly port: number;
  /** PEM contents; HTTPS when present. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
  /** Trust X-Forwarded-For (behind a reverse proxy). */
  readonly xForwarded: boolean;
}

export interface HttpServerDeps {
  readonly dispatch: Dispatch;
  readonly table: readonly AnyEndpoint[];
  readonly maxRequestBodySize: number;
  readonly maxUploadSize: number;
  readonly logger: PinoLogger;
}

export interface HttpServer {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  close(): Promise<void>;
}

// What browsers need to call a homeserver from a web client on another origin (as Synapse sends).
const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'X-Requested-With, Content-Type, Authorization, Date',
  'Access-Control-Expose-Headers': 'Retry-After, Content-Disposition',
};

/** `{roomId}` → `:p0`: positional names, so templates that differ only in names never clash in fastify. */
function fastifyPath(template: string): string {
  let i = 0;
  return template.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, () => `:p${i++}`);
}

function bearerToken(request: FastifyRequest, query: URLSearchParams): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1] : undefined;
  }
  // Deprecated by the spec (v1.11) but still sent by older clients.
  return query.get('access_token') ?? undefined;
}

function send(reply: FastifyReply, response: EndpointResponse): FastifyReply {
  // Also here (not only in onRequest): fastify's own early errors skip the hooks.
  reply.headers(CORS_HEADERS);
  reply.code(response.status);
  if (response.headers) reply.headers(response.headers);
  if (response.body instanceof Uint8Array) {
    if (!reply.hasHeader('content-type')) reply.type('application/octet-stream');
    return reply.send(Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength));
  }
  reply.header('Cache-Control', 'no-cache, no-store, must-revalidate');
  return reply.type('application/json').send(JSON.stringify(response.body));
}

/** Maps fastify's own errors (body too large, bad Content-Length ...) to Matrix errors. */
function frameworkError(err: { statusCode?: number; code?: string; message: string }): MatrixError {
  if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge('Request body is too large');
  if (err.code === 'FST_ERR_BAD_URL') return new MatrixError(400, ErrCode.INVALID_PARAM, 'Malformed URL');
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return new MatrixError(err.statusCode, ErrCode.UNKNOWN, err.message);
  return new MatrixError(500, ErrCode.UNKNOWN, 'Internal server error');
}

export async function startHttpServer(listen: HttpListenOptions, deps: HttpServerDeps): Promise<HttpServer> {
  const inFlight = new Set<AbortController>();
  const app = Fastify({
    loggerInstance: deps.logger,
    // fastify logs full URLs, which may carry ?access_token=: we log paths ourselves instead.
    logController: new LogController({ disableRequestLogging: true }),
    https: listen.tls ? { cert: listen.tls.cert, key: listen.tls.key } : null,
    trustProxy: listen.xForwarded,
    bodyLimit: deps.maxRequestBodySize,
    routerOptions: { maxParamLength: 8192, ignoreDuplicateSlashes: false },
    // Idle keep-alive sockets are closed at shutdown; in-flight requests are aborted below.
    forceCloseConnections: 'idle',
    frameworkErrors: (err, _request, reply) => {
      send(reply, errorResponse(frameworkError(err)));
    },
  });

  // Bodies arrive as bytes whatever the Content-Type (curl sends form-encoded, some clients
  // text/plain): dispatch parses JSON or passes bytes to raw-body endpoints.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  // CORS preflight, for every path: browsers send it before any cross-origin API call.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'OPTIONS') return reply.headers(CORS_HEADERS).code(204).send();
    return undefined;
  });
  app.addHook('onResponse', async (request, reply) => {
    const url = request.raw.url ?? '';
    const q = url.indexOf('?');
    request.log.debug({ method: request.method, path: q < 0 ? url : url.slice(0, q), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const url = request.raw.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const controller = new AbortController();
    inFlight.add(controller);
    // The client went away before we answered: let long-polls (/sync) stop early.
    const onClose = (): void => {
      if (!reply.raw.writableFinished) controller.abort();
    };
    reply.raw.once('close', onClose);
    try {
      const response = await deps.dispatch({
        method: request.method,
        path,
        query,
        body: Buffer.isBuffer(request.body) ? new Uint8Array(request.body.buffer, request.body.byteOffset, request.body.byteLength) : undefined,
        accessToken: bearerToken(request, query),
        contentType: request.headers['content-type'],
        // Node keeps only the first of repeated Authorization headers in `headers`; X-Matrix
        // may send one per key, so take them all. The URI as sent is what X-Matrix signs.
        authorization: request.raw.headersDistinct['authorization'],
        uri: url,
        clientIp: request.ip,
        transport: 'http',
        signal: controller.signal,
      });
      return send(reply, response);
    } finally {
      inFlight.delete(controller);
      reply.raw.off('close', onClose);
    }
  };

  const mounted = new Set<string>();
  for (const { endpoint, method, template } of routesOf(deps.table)) {
    const url = fastifyPath(template);
    const key = `${method} ${url}`;
    if (mounted.has(key)) continue;
    mounted.add(key);
    app.route({ method, url, bodyLimit: endpoint.rawBody ? deps.maxUploadSize : deps.maxRequestBodySize, handler: handle });
  }
  // Paths fastify does not route (unknown, wrong method, odd-but-valid like an empty state key)
  // still go to dispatch, which answers 404/405 M_UNRECOGNIZED exactly as over CoAP.
  app.setNotFoundHandler(handle);
  app.setErrorHandler(async (err: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const matrixError = frameworkError(err);
    if (matrixError.status >= 500) request.log.error({ err }, 'http transport error');
    return send(reply, errorResponse(matrixError));
  });

  await app.listen({ host: listen.host, port: listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : listen.port;
  return {
    host: listen.host,
    port,
    tls: listen.tls !== undefined,
    async close() {
      for (const controller of inFlight) controller.abort();
      await app.close();
    },
  };
}
