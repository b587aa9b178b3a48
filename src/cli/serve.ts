import { createHomeserver, type StartedListeners } from '../homeserver.js';
import type { HomeserverConfig } from '../config.js';
import { parseFlags, type CliCommand, type CliIo } from './command.js';
import { CONFIG_FLAGS, CONFIG_SWITCHES, CONFIG_USAGE, configFromFlags } from './config-flags.js';

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function banner(config: HomeserverConfig, configPath: string | undefined, publicBaseUrl: string, started: StartedListeners, createdKey: boolean): string {
  const lines = [`Lattice homeserver for ${config.serverName}`, `  data:   ${config.dataDir}${createdKey ? ' (new: database and signing key created)' : ''}`];
  for (const l of started.http) lines.push(`  ${l.tls ? 'HTTPS' : 'HTTP '}:  ${l.tls ? 'https' : 'http'}://${hostForUrl(l.host)}:${l.port}/`);
  for (const l of started.coap) lines.push(`  CoAP:   coap://${hostForUrl(l.host)}:${l.port} (UDP; OSCORE for sensors)`);
  for (const l of started.coapTls ?? []) lines.push(`  CoAPS:  coaps+tcp://${hostForUrl(l.host)}:${l.port} (TLS-PSK for sensors)`);
  lines.push(`  clients: point them at ${publicBaseUrl}`);
  // The same settings the server runs with, so the user lands in this database and domain.
  const where = configPath !== undefined ? `--config ${JSON.stringify(configPath)}` : `--data-dir ${JSON.stringify(config.dataDir)} --server-name ${config.serverName}`;
  lines.push('', 'Register a first user (works while the server runs):');
  lines.push(`  npm run --silent cli -- register-user alice --password 'choose one' --admin ${where}`);
  if (config.enableRegistration || config.registrationRequiresToken) {
    lines.push(`or from any client: registration is open${config.registrationRequiresToken ? ' with a registration token' : ''}.`);
  } else {
    // Closed by default once a listener is reachable from other machines.
    lines.push('Client registration is closed: set enable_registration, or registration_requires_token with registration_tokens.');
  }
  return lines.join('\n') + '\n';
}

/** Resolves on the first SIGTERM/SIGINT; a second one exits at once. */
function shutdownSignal(io: CliIo): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.once('SIGTERM', () => process.exit(1));
      process.once('SIGINT', () => process.exit(1));
      io.stderr.write(`\n${signal}: shutting down (again to force)\n`);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run the homeserver (the default for npm start)',
  usage: `lattice serve [flags]\n${CONFIG_USAGE}`,
  async run(args, io) {
    const flags = parseFlags(args, CONFIG_FLAGS, CONFIG_SWITCHES);
    const config = configFromFlags(flags);
    const homeserver = createHomeserver(config);
    let started: StartedListeners;
    try {
      started = await homeserver.start();
    } catch (err) {
      await homeserver.stop();
      throw err;
    }
    io.stdout.write(banner(config, flags.get('config')?.at(-1), homeserver.services.address.publicBaseUrl, started, homeserver.createdSigningKey));
    await shutdownSignal(io);
    await homeserver.stop();
    return 0;
  },
};
