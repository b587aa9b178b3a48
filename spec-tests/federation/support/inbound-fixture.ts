import { rmSync } from 'node:fs';
import { expect } from 'vitest';
import type { BuiltEvent, EventTemplate } from '../../../src/core/events/build.js';
import type { JsonObject, JsonValue } from '../../../src/core/json.js';
import type { ConfigFile } from '../../../src/config.js';
import type { TestResponse } from '../../support/client.js';
import { makeTempDir } from '../../support/server.js';
import { newUser, type RoomClient } from '../../rooms/helpers.js';
import { startFederatingServer, type FederatingServer } from './federating-server.js';
import { freePort } from './free-port.js';
import { onLatticeRoom, startHostilePeer, storedFlags, wire, type BuildOn, type HostilePeer } from './hostile-peer.js';
import { createTestCa, type TestCa } from './test-ca.js';

/**
 * One Lattice (hs1.test) and one scripted peer (evil.test) on loopback, over TLS from a test
 * CA: the setup of the inbound tests. `joinRoom` has the peer's user join a local public room
 * by pushing a join event in a transaction, so the peer can then send events to it.
 */
export interface InboundFixture {
  readonly dir: string;
  readonly ca: TestCa;
  readonly lattice: FederatingServer;
  readonly peer: HostilePeer;
  readonly alice: RoomClient;
  /** The peer's user. */
  readonly mallory: string;
  /** Builds an event as the peer, on the room's current extremities and state in Lattice. */
  build(roomId: string, template: Omit<EventTemplate, 'room_id'>, on?: Partial<BuildOn>): BuiltEvent;
  /** PUT /send with a fresh transaction ID. */
  send(pdus: readonly JsonValue[], edus?: readonly JsonValue[]): Promise<TestResponse>;
  /** A public room of alice's, with mallory joined; returns its ID. */
  roomWithMallory(options?: Record<string, unknown>): Promise<string>;
  flags(eventId: string): ReturnType<typeof storedFlags>;
  stop(): Promise<void>;
}

let txn = 0;

export async function startInboundFixture(options: { latticeHost: string; peerHost: string; config?: ConfigFile }): Promise<InboundFixture> {
  const dir = makeTempDir('lattice-inbound-');
  const ca = createTestCa(dir);
  const peer = await startHostilePeer({ name: 'evil.test', host: options.peerHost, ca });
  const port = await freePort(options.latticeHost);
  const lattice = await startFederatingServer({
    name: 'hs1.test',
    host: options.latticeHost,
    port,
    ca,
    overrides: { 'evil.test': `${options.peerHost}:${peer.port}` },
    ...(options.config ? { config: options.config } : {}),
  });
  const alice = await newUser(lattice.client, 'alice');
  const mallory = '@mallory:evil.test';

  const fixture: InboundFixture = {
    dir,
    ca,
    lattice,
    peer,
    alice,
    mallory,
    build(roomId, template, on = {}) {
      return peer.build({ ...template, room_id: roomId }, { ...onLatticeRoom(lattice.homeserver, roomId), ...on });
    },
    send(pdus, edus = []) {
      return peer.send(lattice, `txn-${Date.now()}-${++txn}`, pdus, edus);
    },
    async roomWithMallory(roomOptions = {}) {
      const roomId = await alice.createRoomOk({ preset: 'public_chat', ...roomOptions });
      const join = fixture.build(roomId, { type: 'm.room.member', state_key: mallory, sender: mallory, content: { membership: 'join' } });
      const res = await fixture.send([wire(join.pdu)]);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.pdus[join.eventId]).toEqual({});
      return roomId;
    },
    flags: (eventId) => storedFlags(lattice.homeserver, eventId),
    async stop() {
      await lattice.stop();
      await peer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** The content a message event carries. */
export function text(body: string): JsonObject {
  return { msgtype: 'm.text', body };
}
