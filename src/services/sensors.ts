/**
 * Sensors: Matrix devices that speak CoAP over a lossy link and authenticate with an OSCORE
 * security context instead of a bearer token (src/transport/coap/README.md, "Security").
 *
 * `add` creates the device (with an ordinary session, so it shows in /devices, can be deleted
 * and logged out like any other) and its OSCORE context in one transaction, and returns the
 * credentials the sensor stores. The context is the credential: the device's access token is
 * never handed out, so it cannot leak from the sensor or cross the network.
 */

import { randomBytes } from 'node:crypto';
import type { HomeserverConfig } from '../config.js';
import type { Storage } from '../storage/storage.js';
import type { Clock } from './clock.js';
import type { DeviceService } from './devices.js';
import { forbidden, invalidParam, notFound } from './errors.js';
import { OscoreContextStore } from './oscore/context-store.js';
import type { SensorCredentials } from './oscore/credentials.js';
import type { ServerAddress } from './services.js';
import type { SessionService } from './sessions.js';

export interface AddSensorRequest {
  readonly userId: string;
  readonly deviceName: string;
  readonly roomId?: string | undefined;
  /** Where the sensor reaches our CoAP listener (goes into the credentials). */
  readonly coap: { readonly host: string; readonly port: number };
}

/** Our Sender ID in every sensor context: empty (it never travels; it only has to differ from the sensor's). */
const SERVER_SENDER_ID = Buffer.alloc(0);
const MASTER_SECRET_BYTES = 16;
const MASTER_SALT_BYTES = 8;
/** Random kids per length before trying a longer one: short kids keep every request small. */
const KID_TRIES_PER_LENGTH = 16;
/** Room IDs: `!opaque:server` (v1–v11) or `!` + the create event's hash (v12). */
const ROOM_ID = /^![^\s:]+(?::\S+)?$/;

export class SensorService {
  readonly oscore: OscoreContextStore;

  constructor(
    private readonly storage: Storage,
    private readonly sessions: SessionService,
    devices: DeviceService,
    private readonly clock: Clock,
  ) {
    this.oscore = new OscoreContextStore(storage, clock);
    // The rows go with the device (cascade); the cached contexts go here, so the next request is refused.
    devices.onDeleted((userId, deviceIds) => this.oscore.forgetDevices(userId, deviceIds));
  }

  add(request: AddSensorRequest): SensorCredentials {
    const account = this.storage.accounts.get(request.userId);
    if (account === undefined) throw notFound(`Unknown user ${request.userId}`);
    if (account.deactivated) throw forbidden(`${request.userId} is deactivated`);
    if (request.roomId !== undefined && !ROOM_ID.test(request.roomId)) throw invalidParam('room_id is not a room ID');
    const masterSecret = randomBytes(MASTER_SECRET_BYTES);
    const masterSalt = randomBytes(MASTER_SALT_BYTES);
    return this.storage.transaction(() => {
      const session = this.sessions.issue({ userId: request.userId, initialDisplayName: request.deviceName, refreshable: false, clientIp: null });
      const senderId = this.insertWithFreshKid({
        userId: request.userId,
        deviceId: session.deviceId,
        senderId: SERVER_SENDER_ID,
        masterSecret,
        masterSalt,
        roomId: request.roomId ?? null,
        createdTs: this.clock.now(),
      });
      return {
        userId: request.userId,
        deviceId: session.deviceId,
        roomId: request.roomId,
        coap: request.coap,
        masterSecret,
        masterSalt,
        senderId,
        recipientId: SERVER_SENDER_ID,
      };
    });
  }

  /** Picks the sensor's Sender ID (our Recipient ID, the kid on the wire): the shortest free random one. */
  private insertWithFreshKid(row: Omit<Parameters<Storage['sensors']['insert']>[0], 'recipientId'>): Buffer {
    for (let length = 1; length <= 7; length++) {
      for (let attempt = 0; attempt < KID_TRIES_PER_LENGTH; attempt++) {
        const kid = randomBytes(length);
        if (this.storage.sensors.insert({ ...row, recipientId: kid }) !== undefined) return kid;
      }
    }
    throw new Error('no free OSCORE kid');
  }
}

/**
 * The CoAP address to put into credentials: the first bound CoAP listener (or the configured one
 * before the listeners start, as in the CLI), with a wildcard host replaced by the server name.
 */
export function advertisedCoapAddress(config: HomeserverConfig, address: ServerAddress): { host: string; port: number } | undefined {
  const listener = config.listeners.find((l) => l.type === 'coap');
  if (listener === undefined) return undefined;
  const port = address.lowBandwidth?.coapPorts[0] ?? listener.port;
  const wildcard = listener.host === '0.0.0.0' || listener.host === '::' || listener.host === '';
  return { host: wildcard ? config.serverName : listener.host, port };
}
