import { BlockList, isIPv4, isIPv6 } from 'node:net';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
// config.ts imports this module too; the functions below are only called at resolve time,
// after both modules have finished loading, so the cycle is harmless.
import { ConfigError, parseDuration, parseHostPort } from './config.js';
import { decodeBase64 } from './core/base64.js';
import { isValidServerName } from './core/server-name.js';

/**
 * Federation settings, with Synapse's key names: keys (old_signing_keys, key_refresh_interval,
 * trusted_key_servers), discovery and TLS (serve_server_wellknown, federation_custom_ca_list,
 * federation_address_overrides), the SSRF guard (ip_range_blacklist / ip_range_whitelist) and
 * the `federation:` section (timeouts, destination backoff).
 */

export interface TrustedKeyServer {
  readonly serverName: string;
  /** keyId → unpadded base64 public key; undefined: fetch the notary's own keys directly. */
  readonly verifyKeys: Readonly<Record<string, string>> | undefined;
}

export interface OldSigningKey {
  readonly keyId: string;
  /** Unpadded base64 public key. */
  readonly key: string;
  readonly expiredTs: number;
}

export interface FederationConfig {
  /** Notaries asked for keys when a server cannot be reached itself (Synapse's default is matrix.org; ours is none). */
  readonly trustedKeyServers: readonly TrustedKeyServer[];
  /** Keys we used to sign with, published under old_verify_keys. */
  readonly oldSigningKeys: readonly OldSigningKey[];
  /** How far ahead our published valid_until_ts lies. */
  readonly keyRefreshIntervalMs: number;
  /** Serve /.well-known/matrix/server delegating to public_baseurl's host and port. */
  readonly serveServerWellKnown: boolean;
  /** CA certificate files (PEM) trusted for outbound federation, on top of the built-in store. */
  readonly customCaFiles: readonly string[];
  /** server name → address that replaces discovery; may point at private or loopback addresses. */
  readonly addressOverrides: ReadonlyMap<string, { readonly host: string; readonly port: number }>;
  /** CIDR ranges outbound federation never connects to (unless through an override). */
  readonly ipRangeBlacklist: readonly string[];
  /** CIDR ranges allowed even though the blacklist covers them. */
  readonly ipRangeWhitelist: readonly string[];
  /** Per-request timeout of the federation client. */
  readonly clientTimeoutMs: number;
  readonly destinationMinRetryIntervalMs: number;
  readonly destinationRetryMultiplier: number;
  readonly destinationMaxRetryIntervalMs: number;
}

/** Synapse's DEFAULT_IP_RANGE_BLACKLIST, plus the unspecified addresses it always adds. */
export const DEFAULT_IP_RANGE_BLACKLIST: readonly string[] = [
  '0.0.0.0/8',
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '192.0.0.0/24',
  '169.254.0.0/16',
  '192.88.99.0/24',
  '198.18.0.0/15',
  '192.0.2.0/24',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '::/128',
  '::1/128',
  'fe80::/10',
  'fc00::/7',
  '2001:db8::/32',
  'ff00::/8',
  'fec0::/10',
];

const Duration = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+\\s*(ms|s|m|h|d|w|y)?\\s*$' })]);

/** The YAML keys this module reads; spread into config.ts's file schema. */
export const FederationConfigYaml = {
  trusted_key_servers: Type.Optional(
    Type.Array(
      Type.Object({
        server_name: Type.String({ minLength: 1 }),
        verify_keys: Type.Optional(Type.Record(Type.String(), Type.String())),
        // Synapse's flag for notaries without verify_keys; we always fetch their keys directly then.
        accept_keys_insecurely: Type.Optional(Type.Boolean()),
      }),
    ),
  ),
  old_signing_keys: Type.Optional(
    Type.Record(Type.String(), Type.Object({ key: Type.String(), expired_ts: Type.Integer({ minimum: 0 }) })),
  ),
  key_refresh_interval: Type.Optional(Duration),
  serve_server_wellknown: Type.Optional(Type.Boolean()),
  federation_custom_ca_list: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  federation_address_overrides: Type.Optional(Type.Record(Type.String(), Type.String())),
  ip_range_blacklist: Type.Optional(Type.Array(Type.String())),
  federation_ip_range_blacklist: Type.Optional(Type.Array(Type.String())),
  ip_range_whitelist: Type.Optional(Type.Array(Type.String())),
  federation: Type.Optional(
    Type.Object({
      client_timeout: Type.Optional(Duration),
      destination_min_retry_interval: Type.Optional(Duration),
      destination_retry_multiplier: Type.Optional(Type.Number({ minimum: 1 })),
      destination_max_retry_interval: Type.Optional(Duration),
    }),
  ),
};
const FederationYamlObject = Type.Object(FederationConfigYaml);
export type FederationConfigFile = Static<typeof FederationYamlObject>;

function checkPublicKey(value: string, where: string): string {
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(value);
  } catch {
    throw new ConfigError(`${where} is not base64`);
  }
  if (bytes.length !== 32) throw new ConfigError(`${where} is not a 32-byte ed25519 key`);
  return value;
}

function checkKeyId(keyId: string, where: string): string {
  if (!/^ed25519:[A-Za-z0-9_]+$/.test(keyId)) throw new ConfigError(`${where}: ${JSON.stringify(keyId)} is not an ed25519 key id`);
  return keyId;
}

/** Checks that each entry is an address or CIDR range node's BlockList accepts. */
function checkRanges(ranges: readonly string[], where: string): string[] {
  const probe = new BlockList();
  return ranges.map((range) => {
    const [address, prefixText] = range.trim().split('/') as [string, string | undefined];
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    if (!family) throw new ConfigError(`${where}: ${JSON.stringify(range)} is not an IP range`);
    const prefix = prefixText === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefixText);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 'ipv4' ? 32 : 128)) {
      throw new ConfigError(`${where}: bad prefix length in ${JSON.stringify(range)}`);
    }
    probe.addSubnet(address, prefix, family);
    return `${address}/${prefix}`;
  });
}

export function resolveFederationConfig(file: FederationConfigFile, fromFile: (p: string) => string): FederationConfig {
  const trustedKeyServers = (file.trusted_key_servers ?? []).map((t, i) => {
    if (!isValidServerName(t.server_name)) throw new ConfigError(`trusted_key_servers[${i}].server_name is not a server name`);
    let verifyKeys: Record<string, string> | undefined;
    if (t.verify_keys !== undefined) {
      verifyKeys = {};
      for (const [keyId, key] of Object.entries(t.verify_keys)) {
        verifyKeys[checkKeyId(keyId, `trusted_key_servers[${i}].verify_keys`)] = checkPublicKey(key, `trusted_key_servers[${i}].verify_keys.${keyId}`);
      }
    }
    return { serverName: t.server_name, verifyKeys };
  });
  const oldSigningKeys = Object.entries(file.old_signing_keys ?? {}).map(([keyId, v]) => ({
    keyId: checkKeyId(keyId, 'old_signing_keys'),
    key: checkPublicKey(v.key, `old_signing_keys.${keyId}.key`),
    expiredTs: v.expired_ts,
  }));
  const addressOverrides = new Map<string, { host: string; port: number }>();
  for (const [serverName, address] of Object.entries(file.federation_address_overrides ?? {})) {
    if (!isValidServerName(serverName)) throw new ConfigError(`federation_address_overrides: ${JSON.stringify(serverName)} is not a server name`);
    const target = parseHostPort(address);
    if (target.port === 0) throw new ConfigError(`federation_address_overrides.${serverName}: port 0`);
    addressOverrides.set(serverName, target);
  }
  const f = file.federation ?? {};
  return {
    trustedKeyServers,
    oldSigningKeys,
    keyRefreshIntervalMs: parseDuration(file.key_refresh_interval ?? '1d'),
    serveServerWellKnown: file.serve_server_wellknown ?? false,
    customCaFiles: (file.federation_custom_ca_list ?? []).map((p) => path.resolve(fromFile(p))),
    addressOverrides,
    ipRangeBlacklist: checkRanges(file.federation_ip_range_blacklist ?? file.ip_range_blacklist ?? DEFAULT_IP_RANGE_BLACKLIST, 'ip_range_blacklist'),
    ipRangeWhitelist: checkRanges(file.ip_range_whitelist ?? [], 'ip_range_whitelist'),
    clientTimeoutMs: parseDuration(f.client_timeout ?? '60s'),
    // Synapse's defaults: ten minutes, doubling, at most a week.
    destinationMinRetryIntervalMs: parseDuration(f.destination_min_retry_interval ?? '10m'),
    destinationRetryMultiplier: f.destination_retry_multiplier ?? 2,
    destinationMaxRetryIntervalMs: parseDuration(f.destination_max_retry_interval ?? '1w'),
  };
}
