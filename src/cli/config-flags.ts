import { ConfigError, loadConfig, type ConfigOverrides, type HomeserverConfig } from '../config.js';
import { booleanFlag, CliError } from './command.js';

/** Flags that choose the homeserver's settings, shared by `serve` and `register-user`. */
export const CONFIG_FLAGS = ['config', 'data-dir', 'server-name', 'http', 'https', 'tls-cert', 'tls-key', 'coap'] as const;
export const CONFIG_SWITCHES = ['enable-registration'] as const;

export const CONFIG_USAGE = `  --config <file.yaml>        settings (Synapse key names: server_name, listeners, enable_registration ...)
  --data-dir <dir>             database and signing key (default ./data)
  --server-name <name>         the domain in user IDs (default localhost)
  --http <host:port>           HTTP listener, repeatable (default 127.0.0.1:8008)
  --https <host:port>          HTTPS listener, repeatable; needs --tls-cert and --tls-key
  --coap <host:port>           CoAP (UDP) listener, repeatable (default 127.0.0.1:5683)
  --enable-registration        open registration even when not only on loopback`;

function last(flags: Map<string, string[]>, name: string): string | undefined {
  const values = flags.get(name);
  return values?.[values.length - 1];
}

export function configFromFlags(flags: Map<string, string[]>): HomeserverConfig {
  const overrides: ConfigOverrides = {
    ...(last(flags, 'data-dir') !== undefined ? { dataDir: last(flags, 'data-dir') } : {}),
    ...(last(flags, 'server-name') !== undefined ? { serverName: last(flags, 'server-name') } : {}),
    ...(flags.has('http') ? { http: flags.get('http') } : {}),
    ...(flags.has('https') ? { https: flags.get('https') } : {}),
    ...(last(flags, 'tls-cert') !== undefined ? { tlsCert: last(flags, 'tls-cert') } : {}),
    ...(last(flags, 'tls-key') !== undefined ? { tlsKey: last(flags, 'tls-key') } : {}),
    ...(flags.has('coap') ? { coap: flags.get('coap') } : {}),
    ...(booleanFlag(flags, 'enable-registration') !== undefined ? { enableRegistration: booleanFlag(flags, 'enable-registration') } : {}),
  };
  try {
    return loadConfig(last(flags, 'config'), overrides);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
}
