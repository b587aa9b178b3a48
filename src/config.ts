import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { FederationConfigYaml, resolveFederationConfig, type FederationConfig } from './config-federation.js';

/**
 * Homeserver settings: a YAML file with Synapse's key names where Synapse has the setting,
 * overridden by command-line flags, on top of embedded defaults that just run
 * (./data, server name `localhost`, HTTP on 127.0.0.1:8008, CoAP on UDP 127.0.0.1:5683).
 * `resolveConfig` is pure (no I/O) so it is unit-tested directly; `loadConfig` reads the file.
 */

export interface RateLimitSetting {
  /** Sustained actions per second. */
  readonly perSecond: number;
  /** Actions allowed in a burst before the sustained rate applies. */
  readonly burstCount: number;
}

export interface ListenerConfig {
  readonly type: 'http' | 'coap';
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** HTTPS when set (http listeners only). */
  readonly tls: { readonly certPath: string; readonly keyPath: string } | undefined;
  /** Trust X-Forwarded-For from a reverse proxy for the client IP. */
  readonly xForwarded: boolean;
}

export interface RateLimits {
  readonly message: RateLimitSetting;
  /** Accounts created per client IP (UIA round trips do not count). */
  readonly registration: RateLimitSetting;
  /** Registration-token validity checks per client IP (guessing tokens). */
  readonly registrationTokenValidity: RateLimitSetting;
  readonly login: { readonly address: RateLimitSetting; readonly account: RateLimitSetting; readonly failedAttempts: RateLimitSetting };
  readonly joins: { readonly local: RateLimitSetting; readonly remote: RateLimitSetting };
  readonly invites: { readonly perRoom: RateLimitSetting; readonly perUser: RateLimitSetting; readonly perIssuer: RateLimitSetting };
  /** Every other endpoint marked 'general' (Lattice's own; unlimited by default, as in Synapse). */
  readonly general: RateLimitSetting;
}

export interface HomeserverConfig {
  readonly serverName: string;
  /**
   * Where clients reach us (Synapse: public_baseurl), advertised in .well-known. Undefined: the
   * homeserver derives it from the first HTTP listener once bound (the port may be ephemeral).
   */
  readonly publicBaseUrl: string | undefined;
  readonly dataDir: string;
  readonly databasePath: string;
  /**
   * SQLite's `synchronous` in WAL mode. FULL fsyncs the WAL on every commit, so an acknowledged
   * write survives power loss as well as kill -9; NORMAL survives kill -9 (the WAL write has
   * reached the kernel before COMMIT returns) but not a power cut.
   */
  readonly databaseSynchronous: 'full' | 'normal';
  /** Synapse's key file format (`ed25519 <version> <seed>`), created on first start. */
  readonly signingKeyPath: string;
  readonly listeners: readonly ListenerConfig[];
  readonly enableRegistration: boolean;
  readonly registrationRequiresToken: boolean;
  /** Tokens accepted by m.login.registration_token (Lattice's own key; Synapse keeps them in its admin API). */
  readonly registrationTokens: readonly { readonly token: string; readonly usesAllowed: number | null }[];
  readonly registrationSharedSecret: string | undefined;
  /** Lifetime of access tokens issued with a refresh token (Synapse: refreshable_access_token_lifetime). */
  readonly refreshableAccessTokenLifetimeMs: number;
  /** Largest JSON request body. */
  readonly maxRequestBodySize: number;
  /** Largest media upload. */
  readonly maxUploadSize: number;
  readonly rateLimits: RateLimits;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Keys, discovery, TLS, SSRF guard and outbound queue settings (config-federation.ts). */
  readonly federation: FederationConfig;
}

// ---- the YAML file's shape --------------------------------------------------------------

const Size = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+\\s*[KkMmGg]?\\s*$' })]);
const Duration = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+\\s*(ms|s|m|h|d|w|y)?\\s*$' })]);
const RateLimitYaml = Type.Object({
  per_second: Type.Optional(Type.Number({ minimum: 0 })),
  burst_count: Type.Optional(Type.Number({ minimum: 0 })),
});
const ListenerYaml = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  bind_addresses: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  type: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('coap')])),
  tls: Type.Optional(Type.Boolean()),
  x_forwarded: Type.Optional(Type.Boolean()),
  // Synapse's `resources` list (client, federation ...) is accepted and ignored: we serve all.
  resources: Type.Optional(Type.Array(Type.Unknown())),
});
const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
);

const ConfigYaml = Type.Object({
  server_name: Type.Optional(Type.String({ minLength: 1 })),
  public_baseurl: Type.Optional(Type.String({ minLength: 1 })),
  data_dir: Type.Optional(Type.String({ minLength: 1 })),
  database: Type.Optional(
    Type.Object({
      name: Type.Optional(Type.Literal('sqlite3')),
      args: Type.Optional(Type.Object({ database: Type.Optional(Type.String({ minLength: 1 })) })),
      synchronous: Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('normal')])),
    }),
  ),
  signing_key_path: Type.Optional(Type.String({ minLength: 1 })),
  listeners: Type.Optional(Type.Array(ListenerYaml)),
  tls_certificate_path: Type.Optional(Type.String()),
  tls_private_key_path: Type.Optional(Type.String()),
  enable_registration: Type.Optional(Type.Boolean()),
  registration_requires_token: Type.Optional(Type.Boolean()),
  registration_tokens: Type.Optional(
    Type.Array(
      Type.Union([
        Type.String({ minLength: 1 }),
        Type.Object({ token: Type.String({ minLength: 1 }), uses_allowed: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])) }),
      ]),
    ),
  ),
  registration_shared_secret: Type.Optional(Type.String({ minLength: 1 })),
  refreshable_access_token_lifetime: Type.Optional(Duration),
  max_request_body_size: Type.Optional(Size),
  max_upload_size: Type.Optional(Size),
  rc_message: Type.Optional(RateLimitYaml),
  rc_registration: Type.Optional(RateLimitYaml),
  rc_registration_token_validity: Type.Optional(RateLimitYaml),
  rc_login: Type.Optional(
    Type.Object({
      address: Type.Optional(RateLimitYaml),
      account: Type.Optional(RateLimitYaml),
      failed_attempts: Type.Optional(RateLimitYaml),
    }),
  ),
  rc_joins: Type.Optional(Type.Object({ local: Type.Optional(RateLimitYaml), remote: Type.Optional(RateLimitYaml) })),
  rc_invites: Type.Optional(
    Type.Object({
      per_room: Type.Optional(RateLimitYaml),
      per_user: Type.Optional(RateLimitYaml),
      per_issuer: Type.Optional(RateLimitYaml),
    }),
  ),
  rc_general: Type.Optional(RateLimitYaml),
  log_level: Type.Optional(LogLevel),
  ...FederationConfigYaml,
});
export type ConfigFile = Static<typeof ConfigYaml>;

/** Command-line overrides (`lattice serve --http 0.0.0.0:8008 ...`). */
export interface ConfigOverrides {
  readonly dataDir?: string;
  readonly serverName?: string;
  /** host:port, repeatable. Any of http/https replaces the file's HTTP listeners. */
  readonly http?: readonly string[];
  readonly https?: readonly string[];
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** host:port, repeatable; replaces the file's CoAP listeners. */
  readonly coap?: readonly string[];
  readonly enableRegistration?: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

// ---- defaults (Synapse's where it has one) ----------------------------------------------

const rl = (perSecond: number, burstCount: number): RateLimitSetting => ({ perSecond, burstCount });
export const DEFAULT_RATE_LIMITS: RateLimits = {
  message: rl(0.2, 10),
  registration: rl(0.17, 3),
  registrationTokenValidity: rl(0.1, 5),
  login: { address: rl(0.003, 5), account: rl(0.003, 5), failedAttempts: rl(0.17, 3) },
  joins: { local: rl(0.1, 10), remote: rl(0.01, 10) },
  invites: { perRoom: rl(0.3, 10), perUser: rl(0.003, 5), perIssuer: rl(0.3, 10) },
  general: rl(Infinity, Infinity),
};

const DEFAULT_HTTP = { host: '127.0.0.1', port: 8008 };
const DEFAULT_COAP = { host: '127.0.0.1', port: 5683 };
const MIB = 1024 * 1024;

// ---- resolution -------------------------------------------------------------------------

const validateFile = new Ajv({ allErrors: false, strict: false }).compile<ConfigFile>(ConfigYaml as TSchema);

/** Checks a parsed YAML document against the config schema. */
export function parseConfigFile(document: unknown): ConfigFile {
  const value = document ?? {};
  if (!validateFile(value)) {
    const e = validateFile.errors?.[0];
    const where = e?.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(top level)';
    throw new ConfigError(`config ${where}: ${e?.message ?? 'invalid'}`);
  }
  return value;
}

/**
 * Builds the effective config. `baseDir` anchors relative paths written in the file (the file's
 * directory); flag paths are relative to the working directory, like any command-line path.
 */
export function resolveConfig(file: ConfigFile, overrides: ConfigOverrides = {}, baseDir = process.cwd()): HomeserverConfig {
  const fromFile = (p: string) => path.resolve(baseDir, p);
  const serverName = overrides.serverName ?? file.server_name ?? 'localhost';
  const dataDir = overrides.dataDir !== undefined ? path.resolve(overrides.dataDir) : fromFile(file.data_dir ?? 'data');
  const databasePath = file.database?.args?.database ? fromFile(file.database.args.database) : path.join(dataDir, 'homeserver.db');
  const signingKeyPath = file.signing_key_path ? fromFile(file.signing_key_path) : path.join(dataDir, `${serverName}.signing.key`);

  const listeners = resolveListeners(file, overrides, fromFile);
  const allLoopback = listeners.every((l) => isLoopback(l.host));
  const rc = file.rc_login;

  const config: HomeserverConfig = {
    serverName,
    publicBaseUrl: file.public_baseurl !== undefined ? normaliseBaseUrl(file.public_baseurl) : undefined,
    dataDir,
    databasePath,
    databaseSynchronous: file.database?.synchronous ?? 'full',
    signingKeyPath,
    listeners,
    // Open registration is only a safe default when nobody but this machine can reach us.
    enableRegistration: overrides.enableRegistration ?? file.enable_registration ?? allLoopback,
    registrationRequiresToken: file.registration_requires_token ?? false,
    registrationTokens: (file.registration_tokens ?? []).map((t) =>
      typeof t === 'string' ? { token: t, usesAllowed: null } : { token: t.token, usesAllowed: t.uses_allowed ?? null },
    ),
    registrationSharedSecret: file.registration_shared_secret,
    refreshableAccessTokenLifetimeMs: parseDuration(file.refreshable_access_token_lifetime ?? '5m'),
    maxRequestBodySize: parseSize(file.max_request_body_size ?? 4 * MIB),
    maxUploadSize: parseSize(file.max_upload_size ?? '50M'),
    rateLimits: {
      message: rateLimit(file.rc_message, DEFAULT_RATE_LIMITS.message),
      registration: rateLimit(file.rc_registration, DEFAULT_RATE_LIMITS.registration),
      registrationTokenValidity: rateLimit(file.rc_registration_token_validity, DEFAULT_RATE_LIMITS.registrationTokenValidity),
      login: {
        address: rateLimit(rc?.address, DEFAULT_RATE_LIMITS.login.address),
        account: rateLimit(rc?.account, DEFAULT_RATE_LIMITS.login.account),
        failedAttempts: rateLimit(rc?.failed_attempts, DEFAULT_RATE_LIMITS.login.failedAttempts),
      },
      joins: {
        local: rateLimit(file.rc_joins?.local, DEFAULT_RATE_LIMITS.joins.local),
        remote: rateLimit(file.rc_joins?.remote, DEFAULT_RATE_LIMITS.joins.remote),
      },
      invites: {
        perRoom: rateLimit(file.rc_invites?.per_room, DEFAULT_RATE_LIMITS.invites.perRoom),
        perUser: rateLimit(file.rc_invites?.per_user, DEFAULT_RATE_LIMITS.invites.perUser),
        perIssuer: rateLimit(file.rc_invites?.per_issuer, DEFAULT_RATE_LIMITS.invites.perIssuer),
      },
      general: rateLimit(file.rc_general, DEFAULT_RATE_LIMITS.general),
    },
    logLevel: (file.log_level as HomeserverConfig['logLevel'] | undefined) ?? 'info',
    federation: resolveFederationConfig(file, fromFile),
  };
  if (!/^[A-Za-z0-9.\-:[\]]+$/.test(config.serverName)) throw new ConfigError(`server_name ${JSON.stringify(serverName)} is not a valid server name`);
  return config;
}

/** Reads and resolves a YAML config file (or only defaults + overrides when no file is given). */
export function loadConfig(configPath: string | undefined, overrides: ConfigOverrides = {}): HomeserverConfig {
  if (configPath === undefined) return resolveConfig({}, overrides);
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${configPath}: ${(err as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${configPath} is not valid YAML: ${(err as Error).message}`);
  }
  return resolveConfig(parseConfigFile(document), overrides, path.dirname(path.resolve(configPath)));
}

function resolveListeners(file: ConfigFile, overrides: ConfigOverrides, fromFile: (p: string) => string): ListenerConfig[] {
  const fileTls =
    file.tls_certificate_path && file.tls_private_key_path
      ? { certPath: fromFile(file.tls_certificate_path), keyPath: fromFile(file.tls_private_key_path) }
      : undefined;
  const fromYaml: ListenerConfig[] = (file.listeners ?? []).flatMap((l) =>
    (l.bind_addresses ?? ['127.0.0.1']).map((host) => {
      const type = l.type ?? 'http';
      if (l.tls && !fileTls) throw new ConfigError('a listener has tls: true but tls_certificate_path / tls_private_key_path are not set');
      return { type, host, port: l.port, tls: l.tls && type === 'http' ? fileTls : undefined, xForwarded: l.x_forwarded ?? false };
    }),
  );

  let http = fromYaml.filter((l) => l.type === 'http');
  let coap = fromYaml.filter((l) => l.type === 'coap');
  if (overrides.http !== undefined || overrides.https !== undefined) {
    let tls: ListenerConfig['tls'];
    if ((overrides.https ?? []).length > 0) {
      const certPath = overrides.tlsCert ?? fileTls?.certPath;
      const keyPath = overrides.tlsKey ?? fileTls?.keyPath;
      if (!certPath || !keyPath) throw new ConfigError('--https needs --tls-cert and --tls-key');
      tls = { certPath: path.resolve(certPath), keyPath: path.resolve(keyPath) };
    }
    http = [
      ...(overrides.http ?? []).map((a) => ({ type: 'http' as const, ...parseHostPort(a), tls: undefined, xForwarded: false })),
      ...(overrides.https ?? []).map((a) => ({ type: 'http' as const, ...parseHostPort(a), tls, xForwarded: false })),
    ];
  }
  if (overrides.coap !== undefined) {
    coap = overrides.coap.map((a) => ({ type: 'coap' as const, ...parseHostPort(a), tls: undefined, xForwarded: false }));
  }
  // With no listeners configured at all, serve the defaults; a file that lists only HTTP
  // listeners gets no CoAP one (the operator chose).
  if (file.listeners === undefined || file.listeners.length === 0) {
    if (overrides.http === undefined && overrides.https === undefined) http = [{ type: 'http', ...DEFAULT_HTTP, tls: undefined, xForwarded: false }];
    if (overrides.coap === undefined) coap = [{ type: 'coap', ...DEFAULT_COAP, tls: undefined, xForwarded: false }];
  }
  return [...http, ...coap];
}

/** `127.0.0.1:8008`, `[::1]:8008`, `localhost:0`, or a bare port (loopback). */
export function parseHostPort(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  if (!m) {
    if (/^\d{1,5}$/.test(value.trim())) return { host: '127.0.0.1', port: checkPort(Number(value.trim()), value) };
    throw new ConfigError(`expected host:port, got ${JSON.stringify(value)}`);
  }
  return { host: m[1] ?? m[2]!, port: checkPort(Number(m[3]), value) };
}

function checkPort(port: number, original: string): number {
  if (port > 65535) throw new ConfigError(`port out of range in ${JSON.stringify(original)}`);
  return port;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The base URL clients use for a listener bound at host:port (wildcard hosts → localhost). */
export function baseUrlFor(listener: { host: string; port: number; tls: boolean }): string {
  const { host } = listener;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${listener.tls ? 'https' : 'http'}://${shown}:${listener.port}/`;
}

function normaliseBaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.href.endsWith('/') ? parsed.href : parsed.href + '/';
  } catch {
    throw new ConfigError(`public_baseurl ${JSON.stringify(url)} is not a URL`);
  }
}

function rateLimit(value: Static<typeof RateLimitYaml> | undefined, fallback: RateLimitSetting): RateLimitSetting {
  return { perSecond: value?.per_second ?? fallback.perSecond, burstCount: value?.burst_count ?? fallback.burstCount };
}

/** Synapse-style sizes: an integer of bytes, or "10K", "50M", "1G". */
export function parseSize(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+)\s*([KkMmGg]?)\s*$/.exec(value);
  if (!m) throw new ConfigError(`bad size ${JSON.stringify(value)}`);
  const unit = { '': 1, k: 1024, m: MIB, g: 1024 * MIB }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

/** Synapse-style durations: an integer of milliseconds, or "500ms", "30s", "5m", "1h", "7d". */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+)\s*(ms|s|m|h|d|w|y)?\s*$/.exec(value);
  if (!m) throw new ConfigError(`bad duration ${JSON.stringify(value)}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 }[
    (m[2] ?? 'ms') as 'ms'
  ];
  return Number(m[1]) * unit;
}
