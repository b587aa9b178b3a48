import type { JsonObject } from '../../core/json.js';

/**
 * What the services need from outbound federation HTTP: one JSON request to a server name. The
 * implementation (discovery, TLS, X-Matrix signing, the SSRF guard, undici) lives in
 * src/transport/federation-client/ and is handed in by the homeserver, so services never import
 * the transport. The errors are defined here so services can tell failures apart.
 */

export interface FederationRequest {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Percent-encoded path, e.g. `/_matrix/federation/v1/send/123`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: JsonObject;
  /** Sign with X-Matrix (default). Key fetches (`/_matrix/key/v2/*`) go unsigned. */
  readonly signed?: boolean;
  /** Overrides the configured client timeout. */
  readonly timeoutMs?: number;
  /** Overrides the client's response size limit (key fetches need far less than room state). */
  readonly maxResponseBytes?: number;
  readonly signal?: AbortSignal;
}

export interface FederationClient {
  /** Sends the request and returns the JSON object answered with a 2xx; throws a FederationRequestError otherwise. */
  request(destination: string, request: FederationRequest): Promise<JsonObject>;
  close(): Promise<void>;
}

export class FederationRequestError extends Error {
  override name = 'FederationRequestError';
  constructor(
    readonly destination: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${destination}: ${message}`, options);
  }
}

/** No connection could be made: DNS, refused, TLS failure, or an address the SSRF guard refuses. */
export class DestinationUnreachableError extends FederationRequestError {
  override name = 'DestinationUnreachableError';
}

/** Every address the destination resolved to is in a blacklisted range (SSRF guard). */
export class DestinationBlockedError extends DestinationUnreachableError {
  override name = 'DestinationBlockedError';
}

export class FederationTimeoutError extends FederationRequestError {
  override name = 'FederationTimeoutError';
}

/** The destination answered with a non-2xx status; errcode/error when the body was a Matrix error. */
export class FederationHttpError extends FederationRequestError {
  override name = 'FederationHttpError';
  constructor(
    destination: string,
    readonly status: number,
    readonly errcode: string | undefined,
    readonly errorText: string | undefined,
    readonly body: JsonObject | undefined,
  ) {
    super(destination, `HTTP ${status}${errcode ? ` ${errcode}` : ''}${errorText ? `: ${errorText}` : ''}`);
  }
}

/** A 2xx whose body is not a JSON object, or is larger than we accept. */
export class FederationBadResponseError extends FederationRequestError {
  override name = 'FederationBadResponseError';
}

/** Stand-in when a homeserver is built without a transport (unit tests of services). */
export const noFederationClient: FederationClient = {
  async request(destination) {
    throw new DestinationUnreachableError(destination, 'no federation client is configured');
  },
  async close() {},
};
