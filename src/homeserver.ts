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
import { startCoapServer, type CoapServer } from './transport/coap/server.js';
import { startHttpServer, type HttpServer } from './transport/http.js';

/**
 * One homeserver: storage, services, the shared dispatch, and its listeners. No module-level
 * state, so tests run several in one process. Creating it opens the database (applying
 * migrations) and loads or creates the signing key; `start` opens the listeners.
 */

export interface HomeserverOptions {
  /** Tests move time forward (token expiry, rate limits). */
  readonly clock?: Clock;
  readonly logger?: PinoLogger;
}

export interface ListeningAddress {
  readonly host: string;
  readonly port: number;
}

export interface StartedListeners {
  readonly http: readonly (ListeningAddress & { readonly tls: boolean })[];
  readonly coap: readonly ListeningAddress[];
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
  const services = createServices({ config, storage, clock: options.clock ?? systemClock, log: logger, signingKey: signing.key });
  const dispatch = createDispatcher(endpointTable, services);

  const httpServers: HttpServer[] = [];
  const coapServers: CoapServer[] = [];
  let state: 'created' | 'starting' | 'started' | 'stopped' = 'created';

  async function stopListeners(): Promise<void> {
    await Promise.all([...httpServers.splice(0), ...coapServers.splice(0)].map((s) => s.close()));
  }

  return {
    config,
    services,
    dispatch,
    createdSigningKey: signing.created,

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
              log: logger,
            }),
          );
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
        state = 'started';
        return { http: httpServers.map((s) => ({ host: s.host, port: s.port, tls: s.tls })), coap };
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
        await stopListeners();
      } finally {
        storage.close();
      }
    },
  };
}
