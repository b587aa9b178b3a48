import type { HomeserverConfig } from '../../config.js';
import type { SigningKey } from '../../core/signing.js';
import type { Storage } from '../../storage/storage.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { FederationClient } from './federation-client.js';
import { KeyRing } from './keys.js';
import { KeyNotary } from './notary.js';
import { OutboundQueue } from './outbound-queue.js';
import { OwnServerKeys } from './own-keys.js';
import { FederationRequestAuth } from './request-auth.js';

/**
 * The federation services, built together because they share the key ring and the client:
 * keys (ours and others'), the notary, X-Matrix verification of inbound requests, and the
 * outbound transaction queue. `services.federation` holds them.
 */
export interface FederationServices {
  /** Outbound HTTP to other servers (discovery, TLS, X-Matrix signing). */
  readonly client: FederationClient;
  readonly ownKeys: OwnServerKeys;
  readonly keyRing: KeyRing;
  readonly notary: KeyNotary;
  readonly requestAuth: FederationRequestAuth;
  readonly outboundQueue: OutboundQueue;
}

export interface FederationServiceDeps {
  readonly config: HomeserverConfig;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signingKey: SigningKey;
  readonly client: FederationClient;
}

export function createFederationServices({ config, storage, clock, log, signingKey, client }: FederationServiceDeps): FederationServices {
  const f = config.federation;
  const ownKeys = new OwnServerKeys(config.serverName, signingKey, f.oldSigningKeys, f.keyRefreshIntervalMs, clock);
  const keyRing = new KeyRing({ ownKeys, repo: storage.serverKeys, client, clock, log, trustedKeyServers: f.trustedKeyServers });
  const outboundQueue = new OutboundQueue({
    serverName: config.serverName,
    repo: storage.federationQueue,
    client,
    clock,
    log,
    backoff: {
      minIntervalMs: f.destinationMinRetryIntervalMs,
      multiplier: f.destinationRetryMultiplier,
      maxIntervalMs: f.destinationMaxRetryIntervalMs,
    },
  });
  return {
    client,
    ownKeys,
    keyRing,
    notary: new KeyNotary(keyRing, ownKeys, clock),
    requestAuth: new FederationRequestAuth(config.serverName, keyRing, clock, (origin) => outboundQueue.peerIsUp(origin)),
    outboundQueue,
  };
}
