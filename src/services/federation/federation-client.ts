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

/** A GET whose answer is a file (media), not JSON. */
export interface FederationFileRequest {
  /** Percent-encoded path, e.g. `/_matrix/federation/v1/media/download/abc`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
  /** Largest body accepted; a larger one fails with FederationResponseTooLargeError. */
  readonly maxBytes: number;
  /** How long the response headers may take (the remote may wait for an upload first). */
  readonly headersTimeoutMs?: number;
  /** The whole exchange, body included. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface FederationFileResponse {
  readonly status: number;
  /** Lower-case header names; a repeated header keeps its first value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/**
 * Files over federation (remote media). Kept apart from FederationClient so the JSON callers and
 * their test doubles need not know about it; the HTTP client implements both.
 */
export interface FederationFileClient {
  /**
   * A signed (X-Matrix) GET to a server name, with discovery, TLS and the SSRF guard as for
   * `request`. Every status is returned as it came (the caller decides about 404s and fallbacks);
   * only transport failures, timeouts and oversized bodies throw.
   */
  getFile(destination: string, request: FederationFileRequest): Promise<FederationFileResponse>;
  /**
   * An unsigned GET of an https URL that `destination` pointed us to (the `Location` of a media
   * answer). The URL's host passes the SSRF guard unless it is an address `destination` itself
   * resolves to through an operator's override.
   */
  getRedirect(destination: string, url: string, request: Omit<FederationFileRequest, 'path' | 'query'>): Promise<FederationFileResponse>;
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

/** The body (or its declared Content-Length) is over the request's limit. */
export class FederationResponseTooLargeError extends FederationBadResponseError {
  override name = 'FederationResponseTooLargeError';
}

/** Stand-in when a homeserver is built without a transport (unit tests of services). */
export const noFederationClient: FederationClient & FederationFileClient = {
  async request(destination) {
    throw new DestinationUnreachableError(destination, 'no federation client is configured');
  },
  async getFile(destination) {
    throw new DestinationUnreachableError(destination, 'no federation client is configured');
  },
  async getRedirect(destination) {
    throw new DestinationUnreachableError(destination, 'no federation client is configured');
  },
  async close() {},
};
