import type { RateLimitSetting } from '../config.js';
import type { JsonValue } from '../core/json.js';
import { ErrCode, MatrixError, missingToken, notJson, unrecognized } from '../services/errors.js';
import type { Requester } from '../services/requester.js';
import type { Services } from '../services/services.js';
import type { Endpoint, EndpointResponse, RateLimitClass, Transport } from './endpoint.js';
import { Router, type RouteMatch } from './routes.js';
import { compileBodyValidator, createAjv, type BodyValidator } from './validation.js';

/**
 * THE request path shared by both transports. A transport decodes its wire format into an
 * IncomingRequest, calls `dispatch`, and encodes the EndpointResponse it gets back. Everything
 * between — routing, authentication, rate limiting, body validation, the handler, and turning
 * any failure into a Matrix error — happens here, once.
 */

export interface IncomingRequest {
  readonly method: string;
  /** Raw path, percent-encoded, without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /**
   * The body: a decoded JSON value (e.g. from CBOR), raw bytes, or undefined when there was none.
   * Raw bytes go as they are to `rawBody` endpoints and are parsed as UTF-8 JSON for the others.
   */
  readonly body: JsonValue | Uint8Array | undefined;
  readonly accessToken: string | undefined;
  /** The body's media type as sent (HTTP Content-Type), for raw-body endpoints such as media upload. */
  readonly contentType?: string | undefined;
  /** Every Authorization header as sent (a federation request may carry one X-Matrix header per key). */
  readonly authorization?: readonly string[] | undefined;
  /** The request target as sent, path and `?query` (X-Matrix signs it); absent: path + query. */
  readonly uri?: string | undefined;
  /**
   * Set by a transport whose security layer already authenticated the device (CoAP with an
   * OSCORE context bound to a sensor device): no access token travels, and `accessToken` is
   * ignored. HTTP never sets it.
   */
  readonly authenticated?: Requester | undefined;
  readonly clientIp: string;
  readonly transport: Transport;
  readonly signal: AbortSignal;
}

/** Never throws: every failure becomes `{status, body: {errcode, error}}`. */
export type Dispatch = (req: IncomingRequest) => Promise<EndpointResponse>;

/**
 * A table entry of any body type and auth kind: handlers are declared with method syntax, so an
 * endpoint with a specific body type is still assignable here.
 */
export type AnyEndpoint = Endpoint<Services, unknown>;

/** Renders a MatrixError (or anything else, as a 500) as a response. */
export function errorResponse(err: unknown): EndpointResponse {
  if (err instanceof MatrixError) {
    const headers = err.headers;
    return Object.keys(headers).length > 0 ? { status: err.status, body: err.body(), headers } : { status: err.status, body: err.body() };
  }
  return { status: 500, body: { errcode: ErrCode.UNKNOWN, error: 'Internal server error' } };
}

/** The route-matching helper transports use to decide things before dispatch (e.g. body limits). */
export function createRouter(table: readonly AnyEndpoint[]): Router<AnyEndpoint> {
  return new Router(table);
}

export function routeErrorResponse(match: Exclude<RouteMatch<AnyEndpoint>, { kind: 'found' }>): EndpointResponse {
  switch (match.kind) {
    case 'not-found':
      return errorResponse(unrecognized(404, 'Unrecognized request'));
    case 'method-not-allowed':
      return { ...errorResponse(unrecognized(405, 'Unrecognized request method')), headers: { Allow: match.allowed.join(', ') } };
    case 'bad-path':
      return errorResponse(new MatrixError(400, ErrCode.INVALID_PARAM, match.message));
  }
}

export function createDispatcher(table: readonly AnyEndpoint[], services: Services): Dispatch {
  const router = createRouter(table);
  // Compile every body schema now, once, so a bad schema fails at start-up, not on a request.
  const ajv = createAjv();
  const validators = new Map<AnyEndpoint, BodyValidator>();
  for (const endpoint of table) if (endpoint.body) validators.set(endpoint, compileBodyValidator(ajv, endpoint.body));

  return async function dispatch(req: IncomingRequest): Promise<EndpointResponse> {
    let endpointId = '(unmatched)';
    try {
      const match = router.match(req.method, req.path);
      if (match.kind !== 'found') return routeErrorResponse(match);
      const { endpoint, params } = match;
      endpointId = endpoint.id;

      const requester = authenticate(endpoint, req, services);
      // The JSON body is parsed once: X-Matrix signs it, and validation checks it.
      let json: { value: JsonValue | undefined } | undefined;
      const jsonBody = (): JsonValue | undefined => (json ??= { value: decodeJsonBody(req.body) }).value;
      const origin = endpoint.auth === 'server' ? await authenticateServer(endpoint, req, jsonBody, services) : undefined;
      applyRateLimit(endpoint.rateLimit, requester, req.clientIp, services);

      let body: unknown;
      if (endpoint.rawBody) {
        if (req.body === undefined) body = new Uint8Array(0);
        else if (req.body instanceof Uint8Array) body = req.body;
        else throw new MatrixError(400, ErrCode.BAD_JSON, 'Expected a raw request body');
      } else {
        const validate = validators.get(endpoint);
        if (validate) body = validate(jsonBody());
      }

      return await endpoint.handler({
        services,
        params,
        query: req.query,
        body,
        requester,
        origin,
        contentType: req.contentType,
        clientIp: req.clientIp,
        transport: req.transport,
        signal: req.signal,
      });
    } catch (err) {
      if (!(err instanceof MatrixError)) {
        services.log.error({ err, endpoint: endpointId, method: req.method }, 'request failed');
      }
      return errorResponse(err);
    }
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeJsonBody(body: JsonValue | Uint8Array | undefined): JsonValue | undefined {
  if (!(body instanceof Uint8Array)) return body;
  if (body.length === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw notJson('Content is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw notJson('Content not JSON');
  }
}

function authenticate(endpoint: AnyEndpoint, req: IncomingRequest, services: Services): Requester | undefined {
  if (req.authenticated !== undefined && (endpoint.auth === 'user' || endpoint.auth === 'optional')) return req.authenticated;
  switch (endpoint.auth) {
    case 'user':
      if (req.accessToken === undefined) throw missingToken();
      return services.sessions.authenticate(req.accessToken, req.clientIp);
    case 'optional':
      return req.accessToken === undefined ? undefined : services.sessions.authenticate(req.accessToken, req.clientIp);
    case 'server':
      // Servers are not requesters: authenticateServer checks X-Matrix and yields the origin.
      return undefined;
    case 'none':
    case 'shared-secret':
      return undefined;
  }
}

/** X-Matrix: the verified origin server name, or a 401 M_UNAUTHORIZED. */
async function authenticateServer(
  endpoint: AnyEndpoint,
  req: IncomingRequest,
  jsonBody: () => JsonValue | undefined,
  services: Services,
): Promise<string> {
  const query = req.query.toString();
  return services.federation.requestAuth.authenticate({
    method: req.method,
    uri: req.uri ?? (query === '' ? req.path : `${req.path}?${query}`),
    authorization: req.authorization ?? [],
    content: endpoint.rawBody ? undefined : jsonBody(),
  });
}

/**
 * Which rc_* setting a class uses, whether it counts per user or per client IP, and whether the
 * request itself counts. 'registration' is only checked here: the registration service counts
 * the account it creates, so the UIA round trips before it cost nothing (as in Synapse).
 */
function rateLimitFor(
  cls: RateLimitClass,
  services: Services,
): { setting: RateLimitSetting; perUser: boolean; consume: boolean } | undefined {
  const rc = services.config.rateLimits;
  switch (cls) {
    case 'none':
      return undefined;
    case 'message':
      return { setting: rc.message, perUser: true, consume: true };
    case 'login':
      return { setting: rc.login.address, perUser: false, consume: true };
    case 'registration':
      return { setting: rc.registration, perUser: false, consume: false };
    case 'joins':
      return { setting: rc.joins.local, perUser: true, consume: true };
    case 'invites':
      return { setting: rc.invites.perUser, perUser: true, consume: true };
    case 'general':
      return { setting: rc.general, perUser: true, consume: true };
  }
}

function applyRateLimit(cls: RateLimitClass, requester: Requester | undefined, clientIp: string, services: Services): void {
  const limit = rateLimitFor(cls, services);
  if (!limit) return;
  // Per-user classes fall back to the address for unauthenticated requests.
  const key = limit.perUser && requester ? requester.userId : clientIp;
  if (limit.consume) services.rateLimiter.take(cls, key, limit.setting);
  else services.rateLimiter.check(cls, key, limit.setting);
}
