import { readFileSync } from 'node:fs';
import { pino, type Logger as PinoLogger } from 'pino';
import { createDispatcher, type Dispatch } from './api/dispatch.js';
import { endpointTable } from './api/table.js';
import { baseUrlFor, type HomeserverConfig } from './config.js';
import { systemClock, type Clock } from './services/clock.js';
import { createServices, type Services } from './services/services.js';
import { loadOrCreateSigningKey } from './storage/signing-key-file.js';
import { openStorage, type Storage } from './storage/storage.js';
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
  let state: 'created' | 'starting' | 'started' | 'stopped' = 'created';

  async function stopListeners(): Promise<void> {
    // ---- CoAP: the lead stops the CoAP listener(s) here, next to the HTTP ones. ----
    await Promise.all(httpServers.splice(0).map((s) => s.close()));
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
        // ---- CoAP: the lead starts the CoAP listener(s) here, for each listener of type 'coap':
        //   startCoapServer({ host: l.host, port: l.port, dispatch, ... })
        // and adds their bound addresses to `coap` below. ----
        const coap: ListeningAddress[] = [];
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
