import type { Static, TSchema } from '@sinclair/typebox';
import type { JsonObject, JsonValue } from '../core/json.js';
import type { Requester } from '../services/requester.js';

/**
 * The endpoint table's record type. Every client/federation/admin endpoint is declared once as
 * data and mounted by both transports (fastify for HTTP/JSON, our CoAP server for CBOR), which
 * hand requests to `api/dispatch.ts`. Endpoints never see HTTP or CoAP objects.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * How a request proves who it is.
 * - none: anyone; a token, if sent, is ignored.
 * - optional: an access token is read if present (e.g. /publicRooms); a bad one is still a 401.
 * - user: a valid access token is required (M_MISSING_TOKEN / M_UNKNOWN_TOKEN otherwise).
 * - server: X-Matrix signed federation request.
 * - shared-secret: checked by the handler itself (e.g. Synapse's admin register).
 */
export type AuthKind = 'none' | 'optional' | 'user' | 'server' | 'shared-secret';

/** Rate-limit buckets, named after Synapse's rc_* settings. */
export type RateLimitClass = 'none' | 'message' | 'login' | 'registration' | 'joins' | 'invites' | 'general';

export type { Requester };

/** The requester as the handler sees it: guaranteed for 'user', maybe for 'optional'. */
export type RequesterFor<A extends AuthKind> = A extends 'user'
  ? Requester
  : A extends 'optional'
    ? Requester | undefined
    : undefined;

/** The requesting server as the handler sees it: verified (X-Matrix) for 'server', absent otherwise. */
export type OriginFor<A extends AuthKind> = A extends 'server' ? string : undefined;

export type Transport = 'http' | 'coap';

export interface RequestContext<Services, Body, A extends AuthKind = AuthKind> {
  readonly services: Services;
  /** Path parameters, already percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** Query parameters; repeated names keep every value. */
  readonly query: URLSearchParams;
  /** The body after validation against `body`; undefined for endpoints without one. */
  readonly body: Body;
  readonly requester: RequesterFor<A>;
  /** The origin server name of an X-Matrix signed request. */
  readonly origin: OriginFor<A>;
  /** The request body's media type as sent (HTTP Content-Type), if any. */
  readonly contentType?: string | undefined;
  readonly clientIp: string;
  readonly transport: Transport;
  /** Aborted when the client goes away; long-polls (/sync) stop early. */
  readonly signal: AbortSignal;
}

export interface EndpointResponse {
  readonly status: number;
  /** JSON (an object; a few endpoints, like GET /rooms/{roomId}/state, answer an array) or raw bytes. */
  readonly body: JsonObject | JsonValue[] | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Endpoint<Services = unknown, Body = unknown, A extends AuthKind = AuthKind> {
  /** The spec's operationId where there is one (e.g. "login", "sync"): names the endpoint in logs and metrics. */
  readonly id: string;
  readonly method: HttpMethod;
  /** Path template with `{param}` placeholders, e.g. `/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`. */
  readonly path: string;
  /** Older spellings served by the same handler (r0, unstable prefixes). */
  readonly aliases?: readonly string[];
  readonly auth: A;
  readonly rateLimit: RateLimitClass;
  /**
   * JSON Schema (TypeBox) of the request body, which must then be a JSON object; dispatch
   * compiles it once and rejects bodies that do not match (M_NOT_JSON / M_BAD_JSON /
   * M_MISSING_PARAM / M_INVALID_PARAM naming the field). An absent body counts as `{}`.
   * Absent: the endpoint takes no body (or ignores it).
   */
  readonly body?: TSchema;
  /** Accept a raw (non-JSON) body, e.g. media upload; `body` is then Uint8Array. */
  readonly rawBody?: boolean;
  handler(ctx: RequestContext<Services, Body, A>): Promise<EndpointResponse>;
}

/** The handler's body type: raw bytes, the schema's static type, or nothing. */
type BodyOf<S extends TSchema | undefined, R extends boolean> = R extends true ? Uint8Array : S extends TSchema ? Static<S> : undefined;

/** An endpoint declaration whose handler's `ctx.body` is typed from its TypeBox schema (or rawBody). */
type EndpointDefinition<Services, A extends AuthKind, S extends TSchema | undefined, R extends boolean> = Omit<
  Endpoint<Services, BodyOf<S, R>, A>,
  'body' | 'rawBody'
> & { readonly body?: S; readonly rawBody?: R };

/**
 * Returns a `defineEndpoint` bound to one Services type, so each declaration infers its body
 * type from the schema and its requester from the auth kind:
 * `const endpoint = endpointsFor<Services>(); export const login = endpoint({ ... })`.
 */
export function endpointsFor<Services>() {
  return function defineEndpoint<const A extends AuthKind, S extends TSchema | undefined = undefined, R extends boolean = false>(
    definition: EndpointDefinition<Services, A, S, R>,
  ): Endpoint<Services, BodyOf<S, R>, A> {
    return definition as Endpoint<Services, BodyOf<S, R>, A>;
  };
}

/** A JSON 200 response, the common case. */
export function ok(body: JsonObject, status = 200): EndpointResponse {
  return { status, body };
}

/** The response body when it is a JSON object (not an array, not raw bytes). */
export function jsonObjectBody(response: EndpointResponse): JsonObject | undefined {
  const body = response.body;
  return body instanceof Uint8Array || Array.isArray(body) ? undefined : (body as JsonObject);
}
