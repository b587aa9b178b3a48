// Server-side key backup with the real matrix-js-sdk and its Rust crypto (in-memory stores): the
// client creates a backup version with resetKeyBackup(), sends a message in an encrypted room, and
// backs the new megolm session's key up; the server then holds it in the current version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatrixClient } from 'matrix-js-sdk';
import { LoggerLevel, Tracing } from '@matrix-org/matrix-sdk-crypto-wasm';
import { quietSdkLogs, sdkClient, sdkRegister, startSdkClient } from '../support/sdk.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
const clients: MatrixClient[] = [];

beforeAll(async () => {
  quietSdkLogs('error');
  server = await startTestServer();
});

afterAll(async () => {
  for (const c of clients) c.stopClient();
  await server?.stop();
});

/** Polls `probe` until it returns a value. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('matrix-js-sdk key backup', () => {
  it('creates a backup version and uploads the room key of a message it sent', async () => {
    const alice = sdkClient(server.baseUrl, await sdkRegister(server.baseUrl, 'alice'));
    clients.push(alice);
    await alice.initRustCrypto({ useIndexedDB: false });
    if (process.env['SDK_LOG'] !== 'debug') new Tracing(LoggerLevel.Warn).turnOn();
    await startSdkClient(alice);
    const crypto = alice.getCrypto()!;
    const token = { token: alice.getAccessToken()! };

    await crypto.resetKeyBackup();
    const current = await server.client.get('/_matrix/client/v3/room_keys/version', token);
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({ algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', count: 0 });
    expect(typeof current.body.auth_data.public_key).toBe('string');
    const version = current.body.version as string;
    expect(await eventually('the backup to be active', async () => (await crypto.getActiveSessionBackupVersion()) ?? undefined)).toBe(version);

    const { room_id: roomId } = await alice.createRoom({
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    await eventually('alice to see the encrypted room', async () => (alice.getRoom(roomId) && (await crypto.isEncryptionEnabledInRoom(roomId)) ? true : undefined));
    await alice.sendTextMessage(roomId, 'remember this');

    const room = await eventually('the room key in the backup', async () => {
      const res = await server.client.get(`/_matrix/client/v3/room_keys/keys/${encodeURIComponent(roomId)}`, { ...token, query: { version } });
      expect(res.status).toBe(200);
      return Object.keys(res.body.sessions).length > 0 ? res.body : undefined;
    });
    const [session] = Object.values(room.sessions) as { session_data: Record<string, unknown>; first_message_index: number }[];
    expect(session!.first_message_index).toBe(0);
    expect(Object.keys(session!.session_data).sort()).toEqual(['ciphertext', 'ephemeral', 'mac']);
    expect((await server.client.get(`/_matrix/client/v3/room_keys/version/${version}`, token)).body.count).toBe(1);
  }, 60_000);
});
