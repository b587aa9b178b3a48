import { request as undiciRequest, type Dispatcher } from 'undici';
import { OpenApiValidator } from './openapi.js';

/**
 * The HTTP client every server test uses (undici against the real server). Every JSON response
 * it receives is checked against the spec's OpenAPI schema for that endpoint and status; a
 * mismatch throws, failing the test. Tests cannot forget the check: there is no other client.
 */

/** Paths that are not in the client-server spec but that we serve (Synapse's admin API). */
const NON_SPEC_PREFIXES = ['/_synapse/admin/'];

let sharedValidator: OpenApiValidator | undefined;
/** One validator per test file (worker): loading the spec takes about half a second. */
export function specValidator(): OpenApiValidator {
  sharedValidator ??= new OpenApiValidator();
  return sharedValidator;
}

export interface RequestOptions {
  /** A JSON value, sent as application/json. */
  readonly json?: unknown;
  /** Raw bytes or text, sent as they are (for malformed-body tests). */
  readonly raw?: string | Uint8Array;
  readonly token?: string;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  // Test code reads arbitrary response fields; the spec check above already vouched for shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

export class TestClient {
  constructor(
    readonly baseUrl: string,
    /** e.g. an Agent trusting a test certificate. */
    private readonly dispatcher?: Dispatcher,
    private readonly validator: OpenApiValidator = specValidator(),
  ) {}

  async request(method: Dispatcher.HttpMethod, path: string, options: RequestOptions = {}): Promise<TestResponse> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
    let body: string | Uint8Array | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    } else if (options.raw !== undefined) {
      body = options.raw;
    }
    const res = await undiciRequest(url, { method, headers, body, ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}) });
    const text = await res.body.text();
    const contentType = String(res.headers['content-type'] ?? '');
    let parsed: unknown = text;
    if (contentType.startsWith('application/json') && method !== 'HEAD') {
      parsed = JSON.parse(text);
      // r0 is the same API under its pre-v1.0 prefix; the spec documents it as v3.
      const specPath = url.pathname.replace(/^\/_matrix\/(client|media)\/r0\//, '/_matrix/$1/v3/');
      this.validator.check(method, specPath, res.statusCode, parsed, NON_SPEC_PREFIXES);
    }
    return { status: res.statusCode, headers: res.headers, body: parsed };
  }

  get(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request('GET', path, options);
  }
  post(path: string, json: unknown = {}, options: RequestOptions = {}): Promise<TestResponse> {
    return this.request('POST', path, { ...options, json });
  }
  put(path: string, json: unknown = {}, options: RequestOptions = {}): Promise<TestResponse> {
    return this.request('PUT', path, { ...options, json });
  }
  delete(path: string, json?: unknown, options: RequestOptions = {}): Promise<TestResponse> {
    return this.request('DELETE', path, json === undefined ? options : { ...options, json });
  }
}

export const CS = '/_matrix/client/v3';

export interface Session {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
  readonly refreshToken?: string;
}

/** Registers through the real UIA flow: a 401 with the dummy stage, then the dummy stage. */
export async function registerUser(
  client: TestClient,
  username: string,
  password: string,
  extra: Record<string, unknown> = {},
): Promise<Session> {
  const first = await client.post(`${CS}/register`, { username, password, ...extra });
  if (first.status !== 401) throw new Error(`register ${username}: expected 401, got ${first.status} ${JSON.stringify(first.body)}`);
  const done = await client.post(`${CS}/register`, {
    username,
    password,
    ...extra,
    auth: { type: 'm.login.dummy', session: first.body.session },
  });
  if (done.status !== 200) throw new Error(`register ${username}: ${done.status} ${JSON.stringify(done.body)}`);
  return {
    userId: done.body.user_id,
    accessToken: done.body.access_token,
    deviceId: done.body.device_id,
    ...(done.body.refresh_token ? { refreshToken: done.body.refresh_token } : {}),
  };
}

export async function login(client: TestClient, user: string, password: string, extra: Record<string, unknown> = {}): Promise<TestResponse> {
  return client.post(`${CS}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, ...extra });
}

/** The m.login.password UIA auth dict for `user`. */
export function passwordAuth(user: string, password: string, session?: string): Record<string, unknown> {
  return { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, ...(session ? { session } : {}) };
}
