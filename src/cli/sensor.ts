import { pino } from 'pino';
import { createHomeserver } from '../homeserver.js';
import { MatrixError } from '../services/errors.js';
import { credentialsToJson } from '../services/oscore/credentials.js';
import { advertisedCoapAddress } from '../services/sensors.js';
import { localUserIdFrom } from '../services/user-ids.js';
import { CliError, parseFlags, type CliCommand } from './command.js';
import { CONFIG_FLAGS, CONFIG_SWITCHES, CONFIG_USAGE, configFromFlags } from './config-flags.js';

/**
 * `lattice sensor add <user> <device-name>`: creates a Matrix device for the user and the OSCORE
 * security context a sensor authenticates with (src/services/sensors.ts), straight in the
 * database like register-user (safe while the server runs). Prints the credentials as JSON on
 * stdout, including the compact CBOR blob (`cbor`, hex) a microcontroller stores as it is.
 */
export const sensorCommand: CliCommand = {
  name: 'sensor',
  summary: 'issue a sensor device and its OSCORE credentials (sensor add <user> <device-name>)',
  usage: `lattice sensor add <user> <device-name> [--room <room id>] [--coap-host <host>] [--coap-port <port>] [flags]
  <user>                       @user:server or a local localpart
  --room <room id>             the room the sensor posts to (stored in its credentials)
  --coap-host / --coap-port    the address the sensor uses (default: the CoAP listener's)
${CONFIG_USAGE}`,
  async run(args, io) {
    const [sub, user, deviceName, ...rest] = args;
    if (sub !== 'add') throw new CliError('usage: lattice sensor add <user> <device-name> [flags]');
    if (user === undefined || user.startsWith('--')) throw new CliError('missing <user>');
    if (deviceName === undefined || deviceName.startsWith('--')) throw new CliError('missing <device-name>');
    const flags = parseFlags(rest, [...CONFIG_FLAGS, 'room', 'coap-host', 'coap-port'], CONFIG_SWITCHES);
    const config = configFromFlags(flags);
    const userId = localUserIdFrom(user, config.serverName);
    if (userId === undefined) throw new CliError(`${user} is not a user of ${config.serverName}`);
    const homeserver = createHomeserver(config, { logger: pino({ level: 'warn' }) });
    try {
      const listener = advertisedCoapAddress(config, homeserver.services.address);
      const host = flags.get('coap-host')?.at(-1) ?? listener?.host;
      const portFlag = flags.get('coap-port')?.at(-1);
      const port = portFlag !== undefined ? Number(portFlag) : listener?.port;
      if (host === undefined || port === undefined) throw new CliError('no CoAP listener is configured; pass --coap-host and --coap-port');
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError('--coap-port is a port number');
      const credentials = homeserver.services.sensors.add({ userId, deviceName, roomId: flags.get('room')?.at(-1), coap: { host, port } });
      io.stdout.write(JSON.stringify(credentialsToJson(credentials), null, 2) + '\n');
      io.stderr.write(`Sensor device ${credentials.deviceId} for ${userId}. Keep these credentials secret: they are the device's login.\n`);
      return 0;
    } catch (err) {
      if (err instanceof MatrixError) throw new CliError(`${err.errcode}: ${err.message}`);
      throw err;
    } finally {
      await homeserver.stop();
    }
  },
};
