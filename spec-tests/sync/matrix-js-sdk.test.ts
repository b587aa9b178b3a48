// End to end with the real matrix-js-sdk: two clients register, one creates a room and invites
// the other, who joins; they chat and see each other's messages, typing and read receipts
// through the SDK's own sync loop (startClient), with its in-memory store and no crypto.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomEvent, RoomMemberEvent, type MatrixClient, type MatrixEvent, type Room } from 'matrix-js-sdk';
import { quietSdkLogs, sdkClient, sdkRegister, startSdkClient } from '../support/sdk.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
const clients: MatrixClient[] = [];

beforeAll(async () => {
  quietSdkLogs('warn');
  server = await startTestServer();
});
afterAll(async () => {
  for (const c of clients) c.stopClient();
  await server.stop();
});

/** Registers through the SDK and starts syncing. */
async function signUp(username: string): Promise<MatrixClient> {
  const client = sdkClient(server.baseUrl, await sdkRegister(server.baseUrl, username));
  clients.push(client);
  await startSdkClient(client);
  return client;
}

/**
 * Resolves with the first value `probe` returns, checked whenever the SDK emits the subscribed
 * event and every 50 ms besides (the SDK may emit before it has stored the room); fails after a while.
 */
function waitFor<T>(what: string, subscribe: (check: () => void) => () => void, probe: () => T | undefined, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let unsubscribe = (): void => {};
    const finish = (): void => {
      clearTimeout(timer);
      clearInterval(poll);
      unsubscribe();
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    const check = (): void => {
      const value = probe();
      if (value === undefined) return;
      finish();
      resolve(value);
    };
    const poll = setInterval(check, 50);
    unsubscribe = subscribe(check);
    check();
  });
}

function messagesIn(room: Room | null): string[] {
  if (!room) return [];
  return room
    .getLiveTimeline()
    .getEvents()
    .filter((e: MatrixEvent) => e.getType() === 'm.room.message')
    .map((e: MatrixEvent) => String(e.getContent()['body']));
}

describe('two matrix-js-sdk clients', () => {
  let alice: MatrixClient;
  let bob: MatrixClient;
  let roomId: string;

  it('register and start their sync loops', async () => {
    [alice, bob] = await Promise.all([signUp('alice'), signUp('bob')]);
    expect(alice.getUserId()).toBe('@alice:localhost');
    expect(bob.getUserId()).toBe('@bob:localhost');
  });

  it('alice creates a room and invites bob, who sees the invite and joins', async () => {
    const created = await alice.createRoom({ name: 'Tea', invite: [bob.getUserId()!] });
    roomId = created.room_id;
    const invited = await waitFor(
      'bob to see the invite',
      (check) => {
        bob.on(RoomMemberEvent.Membership, check);
        return () => bob.off(RoomMemberEvent.Membership, check);
      },
      () => (bob.getRoom(roomId)?.getMyMembership() === 'invite' ? true : undefined),
    );
    expect(invited).toBe(true);
    expect(bob.getRoom(roomId)?.name).toBe('Tea');
    await bob.joinRoom(roomId);
    await waitFor(
      'alice to see bob join',
      (check) => {
        alice.on(RoomMemberEvent.Membership, check);
        return () => alice.off(RoomMemberEvent.Membership, check);
      },
      () => (alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === 'join' ? true : undefined),
    );
  });

  it('they chat and each sees the other through sync', async () => {
    await alice.sendTextMessage(roomId, 'hello bob');
    await waitFor(
      'bob to receive the message',
      (check) => {
        bob.on(RoomEvent.Timeline, check);
        return () => bob.off(RoomEvent.Timeline, check);
      },
      () => (messagesIn(bob.getRoom(roomId)).includes('hello bob') ? true : undefined),
    );
    await bob.sendTextMessage(roomId, 'hi alice');
    await waitFor(
      'alice to receive the reply',
      (check) => {
        alice.on(RoomEvent.Timeline, check);
        return () => alice.off(RoomEvent.Timeline, check);
      },
      () => (messagesIn(alice.getRoom(roomId)).includes('hi alice') ? true : undefined),
    );
    // Both see the same conversation, in order, each message once.
    const expected = ['hello bob', 'hi alice'];
    await waitFor(
      'bob to see his own message come back',
      (check) => {
        bob.on(RoomEvent.Timeline, check);
        return () => bob.off(RoomEvent.Timeline, check);
      },
      () => (messagesIn(bob.getRoom(roomId)).length === 2 ? true : undefined),
    );
    expect(messagesIn(alice.getRoom(roomId))).toEqual(expected);
    expect(messagesIn(bob.getRoom(roomId))).toEqual(expected);
  });

  it('typing notifications reach the other client', async () => {
    await alice.sendTyping(roomId, true, 20_000);
    await waitFor(
      'bob to see alice typing',
      (check) => {
        bob.on(RoomMemberEvent.Typing, check);
        return () => bob.off(RoomMemberEvent.Typing, check);
      },
      () => (bob.getRoom(roomId)?.getMember(alice.getUserId()!)?.typing ? true : undefined),
    );
    await alice.sendTyping(roomId, false, 0);
    await waitFor(
      'bob to see alice stop typing',
      (check) => {
        bob.on(RoomMemberEvent.Typing, check);
        return () => bob.off(RoomMemberEvent.Typing, check);
      },
      () => (bob.getRoom(roomId)?.getMember(alice.getUserId()!)?.typing === false ? true : undefined),
    );
  });

  it('read receipts reach the other client', async () => {
    const room = bob.getRoom(roomId)!;
    const last = room.getLiveTimeline().getEvents().filter((e) => e.getType() === 'm.room.message').at(-1)!;
    await bob.sendReadReceipt(last);
    const eventId = last.getId()!;
    await waitFor(
      'alice to see bob read up to the last message',
      (check) => {
        alice.on(RoomEvent.Receipt, check);
        return () => alice.off(RoomEvent.Receipt, check);
      },
      () => (alice.getRoom(roomId)?.getEventReadUpTo(bob.getUserId()!) === eventId ? true : undefined),
    );
  });
});
