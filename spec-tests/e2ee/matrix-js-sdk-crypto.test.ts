// End-to-end encryption with the real matrix-js-sdk and its Rust crypto (matrix-sdk-crypto-wasm,
// in-memory stores): two clients upload their device and one-time keys, alice sends a message in
// an encrypted room, her client finds bob's device (/keys/query), claims a one-time key
// (/keys/claim) and sends him the room key over to-device; bob's client decrypts the message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomEvent, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
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

/** Registers through the SDK, starts Rust crypto in memory, then syncing. */
async function signUp(username: string): Promise<MatrixClient> {
  const client = sdkClient(server.baseUrl, await sdkRegister(server.baseUrl, username));
  clients.push(client);
  await client.initRustCrypto({ useIndexedDB: false });
  // The SDK turns the Rust side's tracing on at debug level; SDK_LOG=debug keeps it.
  if (process.env['SDK_LOG'] !== 'debug') new Tracing(LoggerLevel.Warn).turnOn();
  await startSdkClient(client);
  return client;
}

/** Polls `probe` (and re-checks on every timeline event) until it returns a value. */
function waitFor<T>(what: string, client: MatrixClient, probe: () => T | undefined, ms = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const value = probe();
      if (value === undefined) return;
      clearTimeout(timer);
      clearInterval(poll);
      client.off(RoomEvent.Timeline, check);
      resolve(value);
    };
    const timer = setTimeout(() => {
      clearInterval(poll);
      client.off(RoomEvent.Timeline, check);
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    const poll = setInterval(check, 100);
    client.on(RoomEvent.Timeline, check);
    check();
  });
}

describe('two matrix-js-sdk clients with Rust crypto', () => {
  it('exchange an encrypted message that the other decrypts', async () => {
    const [alice, bob] = await Promise.all([signUp('alice'), signUp('bob')]);
    // Each client publishes its identity keys on start (checked through the spec-validating client).
    for (let tries = 0; ; tries++) {
      const res = await server.client.post(
        '/_matrix/client/v3/keys/query',
        { device_keys: { [alice.getUserId()!]: [], [bob.getUserId()!]: [] } },
        { token: alice.getAccessToken()! },
      );
      const keys = res.body.device_keys as Record<string, Record<string, unknown>>;
      if (keys[alice.getUserId()!]?.[alice.getDeviceId()!] && keys[bob.getUserId()!]?.[bob.getDeviceId()!]) break;
      if (tries > 100) throw new Error('the clients never uploaded device keys');
      await new Promise((r) => setTimeout(r, 100));
    }
    const created = await alice.createRoom({
      invite: [bob.getUserId()!],
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    const roomId = created.room_id;
    await waitFor('bob to see the invite', bob, () => (bob.getRoom(roomId)?.getMyMembership() === 'invite' ? true : undefined));
    await bob.joinRoom(roomId);
    await waitFor('alice to see bob join', alice, () => (alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === 'join' ? true : undefined));

    const sent = await alice.sendTextMessage(roomId, 'the eagle lands at dawn');
    const event = await waitFor('bob to receive the message', bob, () =>
      bob
        .getRoom(roomId)
        ?.getLiveTimeline()
        .getEvents()
        .find((e: MatrixEvent) => e.getId() === sent.event_id),
    );
    // On the wire (and in the server's database) it is m.room.encrypted.
    expect(event.getWireType()).toBe('m.room.encrypted');
    await waitFor('bob to decrypt it', bob, () => (event.isBeingDecrypted() || event.isDecryptionFailure() ? undefined : event.getType() === 'm.room.message' ? true : undefined));
    expect(event.getContent()['body']).toBe('the eagle lands at dawn');
    expect(event.isEncrypted()).toBe(true);
  }, 60_000);
});
