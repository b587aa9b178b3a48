import { isIP } from 'node:net';
import { Agent } from 'undici';
import type { FederationConfig } from '../../config-federation.js';
import { isJsonObject, type JsonObject } from '../../core/json.js';
import { signJson, type SigningKey } from '../../core/signing.js';
import { formatXMatrixHeader, xMatrixSignable } from '../../core/x-matrix.js';
import type { Clock } from '../../services/clock.js';
import {
  DestinationBlockedError,
  DestinationUnreachableError,
  FederationBadResponseError,
  FederationHttpError,
  FederationRequestError,
  FederationResponseTooLargeError,
  FederationTimeoutError,
  type FederationClient,
  type FederationFileClient,
  type FederationFileRequest,
  type FederationFileResponse,
  type FederationRequest,
} from '../../services/federation/federation-client.js';
import type { Logger } from '../../services/logger.js';
import { SystemDns, type DnsResolver } from './dns.js';
import { httpsRequest, ResponseTooLargeError, type HttpsResponse, type HttpsTarget } from './https-request.js';
import { IpGuard } from './ip-guard.js';
import { ServerNameError, ServerResolver, type ResolvedServer } from './server-resolver.js';
import { federationCaList } from './tls-trust.js';
import { WellKnownResolver, type WellKnownHttpResponse } from './well-known.js';

/**
 * The outbound federation client: resolve the destination (discovery), pick addresses the SSRF
 * guard allows, sign the request with X-Matrix, send it over TLS (certificates verified against
 * the system store plus federation_custom_ca_list), and turn every outcome into JSON or a typed
 * FederationRequestError. One undici Agent keeps connections alive per address.
 */

export interface HttpFederationClientOptions {
  readonly serverName: string;
  readonly signingKey: SigningKey;
  readonly config: FederationConfig;
  readonly clock: Clock;
  readonly log: Logger;
  /** Tests answer DNS themselves; default: the system resolver. */
  readonly dns?: DnsResolver;
  /** Tests serve .well-known from a local port; default 443 as the spec says. */
  readonly wellKnownPort?: number;
  /** Largest response body accepted (room state can be large). */
  readonly maxResponseBytes?: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 100 * 1024 * 1024;
const WELL_KNOWN_MAX_BYTES = 64 * 1024;
const WELL_KNOWN_TIMEOUT_MS = 10_000;
/** Failures before any byte of the request was sent: trying the next address is safe. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

export class HttpFederationClient implements FederationClient, FederationFileClient {
  readonly resolver: ServerResolver;
  private readonly agent: Agent;
  private readonly guard: IpGuard;
  private readonly dns: DnsResolver;
  private readonly maxResponseBytes: number;

  constructor(private readonly options: HttpFederationClientOptions) {
    const { config } = options;
    this.dns = options.dns ?? new SystemDns();
    this.guard = new IpGuard(config.ipRangeBlacklist, config.ipRangeWhitelist);
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const ca = federationCaList(config.customCaFiles);
    this.agent = new Agent({
      connect: { ...(ca ? { ca } : {}), rejectUnauthorized: true, timeout: Math.min(config.clientTimeoutMs, 20_000) },
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 10 * 60_000,
      headersTimeout: config.clientTimeoutMs,
      bodyTimeout: config.clientTimeoutMs,
      connections: 8,
    });
    const wellKnown = new WellKnownResolver((url) => this.fetchWellKnown(url), options.clock, options.wellKnownPort);
    this.resolver = new ServerResolver(this.dns, wellKnown, config.addressOverrides);
  }

  async request(destination: string, req: FederationRequest): Promise<JsonObject> {
    const pathAndQuery = req.path + queryString(req.query);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'Lattice' };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    if (req.signed ?? true) headers['authorization'] = this.authorization(req.method, pathAndQuery, destination, req.body);

    const timeoutMs = req.timeoutMs ?? this.options.config.clientTimeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;

    const resolved = await this.resolve(destination);
    const response = await this.exchange(destination, resolved, {
      method: req.method,
      pathAndQuery,
      headers,
      body,
      signal,
      maxResponseBytes: req.maxResponseBytes ?? this.maxResponseBytes,
    }, timeout);
    return this.decode(destination, response);
  }

  async getFile(destination: string, req: FederationFileRequest): Promise<FederationFileResponse> {
    const pathAndQuery = req.path + queryString(req.query);
    const headers = { accept: '*/*', 'user-agent': 'Lattice', authorization: this.authorization('GET', pathAndQuery, destination, undefined) };
    const { signal, timeout } = this.deadline(req);
    const resolved = await this.resolve(destination);
    const response = await this.exchange(destination, resolved, fileExchange(pathAndQuery, headers, signal, req), timeout);
    return fileResponse(response);
  }

  async getRedirect(destination: string, location: string, req: Omit<FederationFileRequest, 'path' | 'query'>): Promise<FederationFileResponse> {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new FederationBadResponseError(destination, 'redirect to something that is not a URL');
    }
    // Plain http would let anyone on the path swap the file; credentials in a URL are a trick.
    if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') {
      throw new FederationBadResponseError(destination, `redirect to ${url.protocol}//${url.host} refused: only https is followed`);
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port === '' ? 443 : Number(url.port);
    const { signal, timeout } = this.deadline(req);
    const addresses = await this.addressesOf(host).catch((err: unknown) => {
      throw new DestinationUnreachableError(destination, `redirect host ${host}: ${(err as Error).message}`, { cause: err });
    });
    const own = await this.overrideAddresses(destination);
    const allowed = addresses.filter((address) => this.guard.allows(address) || own.has(address));
    if (allowed.length === 0) {
      if (addresses.length > 0) throw new DestinationBlockedError(destination, `redirect to ${url.host} is in a blacklisted IP range`);
      throw new DestinationUnreachableError(destination, `redirect host ${host} has no address`);
    }
    const resolved: ResolvedServer = { hostHeader: url.host, targets: allowed.map((address) => ({ host: address, port })), trusted: true };
    const response = await this.exchange(destination, resolved, fileExchange(url.pathname + url.search, { accept: '*/*', 'user-agent': 'Lattice' }, signal, req), timeout);
    return fileResponse(response);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async resolve(destination: string): Promise<ResolvedServer> {
    try {
      return await this.resolver.resolve(destination);
    } catch (err) {
      if (err instanceof ServerNameError) throw new DestinationUnreachableError(destination, err.message);
      throw new DestinationUnreachableError(destination, `discovery failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The overall deadline of a file request, joined with the caller's signal. */
  private deadline(req: { readonly timeoutMs?: number; readonly signal?: AbortSignal }): { signal: AbortSignal; timeout: AbortSignal } {
    const timeout = AbortSignal.timeout(req.timeoutMs ?? this.options.config.clientTimeoutMs);
    return { timeout, signal: req.signal ? AbortSignal.any([req.signal, timeout]) : timeout };
  }

  private async addressesOf(host: string): Promise<readonly string[]> {
    return isIP(host) ? [host] : this.dns.lookup(host);
  }

  /**
   * The addresses an operator's override sends `destination` to: a redirect back to the server we
   * asked is as trusted as the server itself, even on a private or loopback address.
   */
  private async overrideAddresses(destination: string): Promise<ReadonlySet<string>> {
    const resolved = await this.resolve(destination).catch(() => undefined);
    if (!resolved?.trusted) return new Set();
    const out = new Set<string>();
    for (const { host } of resolved.targets) {
      for (const address of await this.addressesOf(host).catch(() => [])) out.add(address);
    }
    return out;
  }

  /** The X-Matrix header for one request: {method, uri, origin, destination, content} signed with our key. */
  private authorization(method: string, uri: string, destination: string, content: JsonObject | undefined): string {
    const { serverName, signingKey } = this.options;
    const signed = signJson(xMatrixSignable({ method, uri, origin: serverName, destination, content }), serverName, signingKey, { strict: false });
    const sig = (signed.signatures[serverName] as JsonObject)[signingKey.keyId] as string;
    return formatXMatrixHeader({ origin: serverName, destination, key: signingKey.keyId, sig });
  }

  /** Tries the allowed addresses in order, moving on only when a connection could not be made. */
  private async exchange(
    destination: string,
    resolved: ResolvedServer,
    exchange: Parameters<typeof httpsRequest>[2],
    timeout: AbortSignal,
  ): Promise<HttpsResponse> {
    const targets = await this.allowedTargets(destination, resolved);
    let lastError: unknown;
    for (const target of targets) {
      try {
        return await httpsRequest(this.agent, target, exchange);
      } catch (err) {
        lastError = err;
        if (CONNECT_ERRORS.has(errorCode(err)) && !exchange.signal.aborted) continue;
        throw this.translate(destination, err, timeout);
      }
    }
    throw this.translate(destination, lastError, timeout);
  }

  /** Looks up the targets' addresses and drops those the SSRF guard refuses. */
  private async allowedTargets(destination: string, resolved: ResolvedServer): Promise<HttpsTarget[]> {
    const allowed: HttpsTarget[] = [];
    let blocked = 0;
    for (const { host, port } of resolved.targets) {
      let addresses: readonly string[];
      try {
        addresses = isIP(host) ? [host] : await this.dns.lookup(host);
      } catch (err) {
        this.options.log.debug({ err, host }, 'address lookup failed');
        continue;
      }
      for (const address of addresses) {
        if (!resolved.trusted && !this.guard.allows(address)) {
          blocked++;
          continue;
        }
        allowed.push({ address, port, hostHeader: resolved.hostHeader });
      }
    }
    if (allowed.length === 0) {
      if (blocked > 0) throw new DestinationBlockedError(destination, 'every address it resolves to is in a blacklisted IP range');
      throw new DestinationUnreachableError(destination, 'no address found');
    }
    return allowed;
  }

  private translate(destination: string, err: unknown, timeout: AbortSignal): FederationRequestError {
    if (err instanceof FederationRequestError) return err;
    if (err instanceof ResponseTooLargeError) return new FederationResponseTooLargeError(destination, err.message);
    const code = errorCode(err);
    if (timeout.aborted || TIMEOUT_ERRORS.has(code)) return new FederationTimeoutError(destination, 'request timed out', { cause: err });
    const message = err instanceof Error ? err.message : String(err);
    return new DestinationUnreachableError(destination, code ? `${code}: ${message}` : message, { cause: err });
  }

  private decode(destination: string, response: HttpsResponse): JsonObject {
    let parsed: unknown;
    try {
      parsed = response.body.length > 0 ? JSON.parse(Buffer.from(response.body).toString('utf8')) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.status >= 200 && response.status < 300) {
      if (!isJsonObject(parsed)) throw new FederationBadResponseError(destination, `HTTP ${response.status} without a JSON object body`);
      return parsed;
    }
    const body = isJsonObject(parsed) ? parsed : undefined;
    const errcode = typeof body?.['errcode'] === 'string' ? body['errcode'] : undefined;
    const error = typeof body?.['error'] === 'string' ? body['error'] : undefined;
    throw new FederationHttpError(destination, response.status, errcode, error, body);
  }

  /** The well-known fetch: same guard and TLS rules, never signed, small and quick. */
  private async fetchWellKnown(url: URL): Promise<WellKnownHttpResponse> {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port === '' ? 443 : Number(url.port);
    const hostHeader = url.port === '' || this.options.wellKnownPort === port ? url.hostname : url.host;
    const resolved: ResolvedServer = { hostHeader, targets: [{ host, port }], trusted: false };
    const timeout = AbortSignal.timeout(WELL_KNOWN_TIMEOUT_MS);
    return this.exchange(host, resolved, {
      method: 'GET',
      pathAndQuery: url.pathname + url.search,
      headers: { accept: 'application/json', 'user-agent': 'Lattice' },
      body: undefined,
      signal: timeout,
      maxResponseBytes: WELL_KNOWN_MAX_BYTES,
    }, timeout);
  }
}

function errorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // undici wraps socket errors; the system error is the cause.
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err ? errorCode(cause) : '';
}

function fileExchange(
  pathAndQuery: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  req: Omit<FederationFileRequest, 'path' | 'query'>,
): Parameters<typeof httpsRequest>[2] {
  return {
    method: 'GET',
    pathAndQuery,
    headers,
    body: undefined,
    signal,
    maxResponseBytes: req.maxBytes,
    ...(req.headersTimeoutMs !== undefined ? { headersTimeoutMs: req.headersTimeoutMs } : {}),
  };
}

function fileResponse(response: HttpsResponse): FederationFileResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name.toLowerCase()] = first;
  }
  return { status: response.status, headers, body: response.body };
}

function queryString(query: FederationRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === 'string') params.append(name, value);
    else for (const v of value) params.append(name, v);
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
