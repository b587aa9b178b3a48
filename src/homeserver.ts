import { readFileSync } from 'node:fs';
import { pino, type Logger as PinoLogger } from 'pino';
import { createDispatcher, type Dispatch } from './api/dispatch.js';
import { endpointTable } from './api/table.js';
import { baseUrlFor, type HomeserverConfig } from './config.js';
import { systemClock, type Clock } from './services/clock.js';
import { createServices, type Services } from './services/services.js';
import { loadOrCreateSigningKey } from './storage/signing-key-file.js';
import { openStorage, type Storage } from './storage/storage.js';
import { CBOR_KEY_TABLE_VERSION } from './transport/coap/cbor-keys.js';
import { COAP_PATH_ENUM_VERSION } from './transport/coap/path-enums.js';
import type { CoapTiming } from './transport/coap/constants.js';
import type { ObserveOptions } from './transport/coap/observe.js';
import { startCoapServer, type CoapServer } from './transport/coap/server.js';
import { startCoapTlsServer, type CoapTlsServer } from './transport/coap/tcp/tls-server.js';
import { startHttpServer, type HttpServer } from './transport/http.js';
import { HttpFederationClient } from './transport/federation-client/client.js';
import type { DnsResolver } from './transport/federation-client/dns.js';

/**
 * One homeserver: storage, services, the shared dispatch, and its listeners. No module-level
 * state, so tests run several in one process. Creating it opens the database (applying
 * migrations) and loads or creates the signing key; `start` opens the listeners.
 */

export interface HomeserverOptions {
  /** Tests move time forward (token expiry, rate limits). */
  readonly clock?: Clock;
  readonly logger?: PinoLogger;
  /** Answers the federation client's DNS questions (tests keep all traffic on loopback). */
  readonly federationDns?: DnsResolver;
  /** CoAP message-layer timing and Observe bounds (tests shorten ACK_TIMEOUT and the heartbeat). */
  readonly coap?: { readonly timing?: Partial<CoapTiming>; readonly observe?: ObserveOptions };
}

export interface ListeningAddress {
  readonly host: string;
  readonly port: number;
}

export interface StartedListeners {
  readonly http: readonly (ListeningAddress & { readonly tls: boolean })[];
  readonly coap: readonly ListeningAddress[];
  /** CoAP over TLS-PSK for sensors (RFC 8323), on each CoAP listener's port number over TCP. */
  readonly coapTls?: readonly ListeningAddress[];
}

export interface Homeserver {
  readonly config: HomeserverConfig;
  readonly services: Services;
  /** The request path both transports use; tests may call it directly. */
  readonly dispatch: Dispatch;
  /** True when this start created the signing key (a fresh data dir). */
  readonly createdSigningKey: boolean;
  start(): Promise<StartedListeners>;
  stop(): Promise<void>;
  /** The running CoAP listeners (their stats: exchanges, Observe registrations …), for tests and metrics. */
  coapServers(): readonly CoapServer[];
}

export function createHomeserver(config: HomeserverConfig, options: HomeserverOptions = {}): Homeserver {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const storage: Storage = openStorage({ path: config.databasePath, synchronous: config.databaseSynchronous });
  let signing: ReturnType<typeof loadOrCreateSigningKey>;
  try {
    signing = loadOrCreateSigningKey(config.signingKeyPath);
  } catch (err) {
    storage.close();
    throw err;
  }
  const clock = options.clock ?? systemClock;
  let federationClient: HttpFederationClient;
  try {
    federationClient = new HttpFederationClient({
      serverName: config.serverName,
      signingKey: signing.key,
      config: config.federation,
      clock,
      log: logger,
      ...(options.federationDns ? { dns: options.federationDns } : {}),
    });
  } catch (err) {
    storage.close();
    throw err;
  }
  const services = createServices({ config, storage, clock, log: logger, signingKey: signing.key, federationClient });
  const dispatch = createDispatcher(endpointTable, services);

  const httpServers: HttpServer[] = [];
  const coapServers: CoapServer[] = [];
  const coapTlsServers: CoapTlsServer[] = [];
  let state: 'created' | 'starting' | 'started' | 'stopped' = 'created';

  async function stopListeners(): Promise<void> {
    await Promise.all([...httpServers.splice(0), ...coapServers.splice(0), ...coapTlsServers.splice(0)].map((s) => s.close()));
  }

  return {
    config,
    services,
    dispatch,
    createdSigningKey: signing.created,
    coapServers: () => [...coapServers],

    async start() {
      if (state !== 'created') throw new Error(`homeserver cannot start: it is ${state}`);
      state = 'starting';
      try {
        for (const listener of config.listeners.filter((l) => l.type === 'http')) {
          httpServers.push(
            await startHttpServer(
              {
                host: listener.host,
                port: listener.port,
                tls: listener.tls && { cert: readFileSync(listener.tls.certPath), key: readFileSync(listener.tls.keyPath) },
                xForwarded: listener.xForwarded,
              },
              {
                dispatch,
                table: endpointTable,
                maxRequestBodySize: config.maxRequestBodySize,
                maxUploadSize: config.maxUploadSize,
                logger,
              },
            ),
          );
        }
        for (const listener of config.listeners.filter((l) => l.type === 'coap')) {
          coapServers.push(
            await startCoapServer({
              host: listener.host,
              port: listener.port,
              dispatch,
              maxBodyBytes: config.maxRequestBodySize,
              // Sensors authenticate with OSCORE contexts bound to their devices (services/sensors.ts).
              oscore: services.sensors.oscore,
              // Observe on /sync: a deleted device (logout …) ends its registrations with a final 4.01.
              observe: { ...options.coap?.observe, devices: services.devices },
              ...(options.coap?.timing === undefined ? {} : { timing: options.coap.timing }),
              log: logger,
            }),
          );
          // Same port number over TCP; an ephemeral UDP port (tests) gets an ephemeral TCP one of its own.
          const tlsPort = listener.port === 0 ? 0 : coapServers[coapServers.length - 1]!.address.port;
          const tls = await startSensorTlsListener(listener.host, tlsPort, dispatch, services, config.maxRequestBodySize, logger);
          if (tls !== undefined) coapTlsServers.push(tls);
        }
        const coap: ListeningAddress[] = coapServers.map((s) => ({ host: s.address.host, port: s.address.port }));
        if (coap.length > 0) {
          services.address.lowBandwidth = {
            coapPorts: coap.map((a) => a.port),
            cborKeyTableVersion: CBOR_KEY_TABLE_VERSION,
            pathEnumVersion: COAP_PATH_ENUM_VERSION,
          };
        }
        const firstHttp = httpServers[0];
        if (config.publicBaseUrl === undefined && firstHttp) services.address.publicBaseUrl = baseUrlFor(firstHttp);
        // Sends what a previous run left queued (backoff state survives restarts too).
        services.federation.outboundQueue.start();
        state = 'started';
        const coapTls = coapTlsServers.map((s) => ({ host: s.address.host, port: s.address.port }));
        return { http: httpServers.map((s) => ({ host: s.host, port: s.port, tls: s.tls })), coap, coapTls };
      } catch (err) {
        await stopListeners().catch(() => {});
        state = 'created';
        throw err;
      }
    },

    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      try {
        await services.federation.outboundQueue.stop();
        await stopListeners();
        await federationClient.close();
      } finally {
        services.closeReadServices();
        storage.close();
      }
    },
  };
}

/**
 * CoAP over TLS-PSK for sensors without OSCORE (RFC 8323; src/transport/coap/tcp/): on the CoAP
 * listener's port number, over TCP. A port already taken on TCP only costs this listener.
 */
async function startSensorTlsListener(
  host: string,
  port: number,
  dispatch: Dispatch,
  services: Services,
  maxBodyBytes: number,
  logger: PinoLogger,
): Promise<CoapTlsServer | undefined> {
  try {
    return await startCoapTlsServer({ host, port, dispatch, psk: services.sensors.oscore, maxBodyBytes, log: logger });
  } catch (err) {
    logger.warn({ err, host, port }, 'CoAP over TLS (sensors) not started');
    return undefined;
  }
}
