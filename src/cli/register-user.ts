import { createHomeserver } from '../homeserver.js';
import { MatrixError } from '../services/errors.js';
import { pino } from 'pino';
import { booleanFlag, CliError, parseFlags, readStdin, requireFlag, type CliCommand } from './command.js';
import { CONFIG_FLAGS, CONFIG_SWITCHES, CONFIG_USAGE, configFromFlags } from './config-flags.js';

/**
 * Creates an account straight in the database (no HTTP), like Synapse's register_new_matrix_user
 * but without the shared secret: whoever can write the data dir is the operator. Safe while the
 * server runs (SQLite WAL; the write waits for the lock).
 */
export const registerUserCommand: CliCommand = {
  name: 'register-user',
  summary: 'create a user account (optionally an admin)',
  usage: `lattice register-user <localpart> --password <password|-> [--admin] [--display-name <name>] [flags]
  --password -                 read the password from stdin (keeps it out of the process list)
${CONFIG_USAGE}`,
  async run(args, io) {
    const [localpart, ...rest] = args;
    if (localpart === undefined || localpart.startsWith('--')) throw new CliError('missing <localpart>');
    const flags = parseFlags(rest, [...CONFIG_FLAGS, 'password', 'display-name'], [...CONFIG_SWITCHES, 'admin']);
    let password = requireFlag(flags, 'password');
    if (password === '-') password = (await readStdin(io.stdin)).replace(/\r?\n$/, '');
    if (password === '') throw new CliError('the password is empty');
    const displayName = flags.get('display-name')?.[0];
    const config = configFromFlags(flags);
    const homeserver = createHomeserver(config, { logger: pino({ level: 'warn' }) });
    try {
      const { userId } = await homeserver.services.registration.createAccount({
        localpart,
        password,
        admin: booleanFlag(flags, 'admin') === true,
        displayname: displayName,
      });
      io.stdout.write(`${userId}${booleanFlag(flags, 'admin') ? ' (admin)' : ''}\n`);
      return 0;
    } catch (err) {
      if (err instanceof MatrixError) throw new CliError(`${err.errcode}: ${err.message}`);
      throw err;
    } finally {
      await homeserver.stop();
    }
  },
};
