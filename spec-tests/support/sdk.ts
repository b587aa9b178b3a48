import { ClientEvent, createClient, MatrixError, MemoryStore, SyncState, type IStartClientOpts, type MatrixClient } from 'matrix-js-sdk';
import { logger } from 'matrix-js-sdk/lib/logger.js';

/**
 * The real matrix-js-sdk against a test server: registration through the SDK's own UIA calls,
 * clients with in-memory stores, and a start that resolves once the first sync is in.
 */

export interface SdkCredentials {
  readonly userId: string;
  readonly accessToken: string;
  readonly deviceId: string;
}

/**
 * The SDK logs every request at info level; keep test output readable. Its logger is a loglevel
 * instance, whose setLevel the SDK's types leave out. SDK_LOG=debug shows its requests.
 */
export function quietSdkLogs(level: 'warn' | 'error'): void {
  (logger as unknown as { setLevel(level: string): void }).setLevel(process.env['SDK_LOG'] ?? level);
}

/** Registers through the SDK: the UIA 401, then m.login.dummy with its session. */
export async function sdkRegister(baseUrl: string, username: string, password = 'correct horse'): Promise<SdkCredentials> {
  const anonymous = createClient({ baseUrl });
  let session: string | undefined;
  try {
    await anonymous.registerRequest({ username, password });
  } catch (err) {
    if (!(err instanceof MatrixError) || err.httpStatus !== 401) throw err;
    session = (err.data as { session?: string }).session;
  }
  const registered = await anonymous.registerRequest({ username, password, auth: { type: 'm.login.dummy', session } });
  return { userId: registered.user_id, accessToken: registered.access_token!, deviceId: registered.device_id! };
}

export function sdkClient(baseUrl: string, credentials: SdkCredentials): MatrixClient {
  return createClient({ baseUrl, ...credentials, store: new MemoryStore() });
}

/** Starts the client's sync loop; resolves once it is prepared (first sync processed). */
export async function startSdkClient(client: MatrixClient, options: IStartClientOpts = {}): Promise<void> {
  const prepared = new Promise<void>((resolve, reject) => {
    const onSync = (state: SyncState): void => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) {
        client.off(ClientEvent.Sync, onSync);
        resolve();
      } else if (state === SyncState.Error) {
        reject(new Error(`${client.getUserId()}: sync failed`));
      }
    };
    client.on(ClientEvent.Sync, onSync);
  });
  await client.startClient({ initialSyncLimit: 20, ...options });
  await prepared;
}
