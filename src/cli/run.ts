import { ProtocolError } from '../core/errors.js';
import { CliError, type CliCommand, type CliIo } from './command.js';
import { protocolCommands } from './protocol-tools.js';
import { registerUserCommand } from './register-user.js';
import { sensorCommand } from './sensor.js';
import { serveCommand } from './serve.js';

const commands: readonly CliCommand[] = [serveCommand, registerUserCommand, sensorCommand, ...protocolCommands];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: lattice <command> [flags]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help') {
    io.stdout.write(usage() + '\n');
    return name === undefined ? 1 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`lattice: unknown command ${JSON.stringify(name)}\n${usage()}\n`);
    return 1;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    // Bad input is reported in one line; anything else is a bug and keeps its stack.
    if (err instanceof CliError || err instanceof ProtocolError) {
      io.stderr.write(`lattice ${name}: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
}

