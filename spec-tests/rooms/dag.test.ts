// The stored DAG itself: every event verifies with the protocol core (format, content hash,
// signature, event ID), the state stored at every event equals the core's resolution of the
// DAG up to it, and the current state equals the resolution of the whole DAG, including forks
// that need state resolution, soft-failed and rejected events.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEvent, type EventTemplate } from '../../src/core/events/build.js';
import { eventIdOf, toRoomEvent, validatePdu, type Pdu } from '../../src/core/events/pdu.js';
import type { RoomEvent, StateMap } from '../../src/core/events/room-event.js';
import { verifyEventSignatures } from '../../src/core/events/signing.js';
import { contentHashMatches } from '../../src/core/hashes.js';
import { requireRoomVersion } from '../../src/core/room-versions.js';
import { resolveDag } from '../../src/core/state-res/index.js';
import type { PersistOutcome } from '../../src/services/rooms/event-persister.js';
import { toStateMap } from '../../src/services/rooms/state-reader.js';
import { storageOn, type Storage } from '../../src/storage/storage.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectError, newUser, type RoomClient } from './helpers.js';

let server: TestServer;
let alice: RoomClient;
let bob: RoomClient;
let reader: Storage;
beforeAll(async () => {
  server = await startTestServer();
  alice = await newUser(server.client, 'alice');
  bob = await newUser(server.client, 'bob');
  // A second, read-only connection: what is on disk, not what the server caches.
  reader = storageOn(new Database(server.config.databasePath, { readonly: true }));
});
afterAll(async () => {
  reader.close();
  await server.stop();
});

interface StoredDag {
  readonly version: ReturnType<typeof requireRoomVersion>;
  readonly rows: ReturnType<Storage['events']['allInRoom']>;
  readonly events: Map<string, RoomEvent>;
}

function loadDag(roomId: string): StoredDag {
  const room = reader.rooms.get(roomId)!;
  const version = requireRoomVersion(room.roomVersion);
  const rows = reader.events.allInRoom(roomId);
  const events = new Map<string, RoomEvent>();
  for (const row of rows) events.set(row.eventId, toRoomEvent(JSON.parse(row.json) as Pdu, version, row.eventId));
  return { version, rows, events };
}

function verifyEvents(dag: StoredDag): void {
  const key = server.homeserver.services.signingKey;
  for (const row of dag.rows) {
    const pdu = validatePdu(JSON.parse(row.json), dag.version);
    expect(contentHashMatches(pdu, dag.version), `content hash of ${row.eventId}`).toBe(true);
    const check = verifyEventSignatures(pdu, dag.version, (srv, keyId) => (srv === 'localhost' && keyId === key.keyId ? key.publicKey : undefined));
    expect(check, `signature of ${row.eventId}`).toEqual({ ok: true });
    expect(eventIdOf(pdu, dag.version)).toBe(row.eventId);
  }
}

/** Events of the DAG that are accepted (not rejected); soft-failed ones are part of the DAG. */
function accepted(dag: StoredDag): RoomEvent[] {
  return dag.rows.filter((r) => r.rejectedReason === null && !r.outlier).map((r) => dag.events.get(r.eventId)!);
}

function ancestorsAndSelf(dag: StoredDag, eventId: string, pool: ReadonlyMap<string, RoomEvent>): RoomEvent[] {
  const seen = new Set<string>();
  const stack = [eventId];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id) || !pool.has(id)) continue;
    seen.add(id);
    stack.push(...dag.events.get(id)!.prev_events);
  }
  return [...seen].map((id) => pool.get(id)!);
}

function sorted(state: StateMap): [string, string][] {
  return [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** State after every accepted event equals the core's walk of the DAG up to it. */
function verifyStates(roomId: string): void {
  const dag = loadDag(roomId);
  verifyEvents(dag);
  const pool = new Map(accepted(dag).map((e) => [e.event_id, e]));
  let checked = 0;
  for (const row of dag.rows) {
    if (row.rejectedReason !== null || row.outlier) continue;
    checked++;
    const expected = resolveDag(dag.version, ancestorsAndSelf(dag, row.eventId, pool));
    const stored = toStateMap(reader.state.stateOfGroup(row.stateGroup!));
    expect(sorted(stored), `state after ${row.type} ${row.eventId}`).toEqual(sorted(expected));
  }
  expect(checked).toBeGreaterThanOrEqual(10);
  // Current state: the resolution of the DAG without soft-failed events (never built upon).
  const current = toStateMap(reader.state.currentOfRoom(roomId));
  const live = dag.rows.filter((r) => r.rejectedReason === null && !r.outlier && !r.softFailed).map((r) => dag.events.get(r.eventId)!);
  expect(sorted(current)).toEqual(sorted(resolveDag(dag.version, live)));
  // And the denormalised membership column agrees with the member events.
  for (const member of reader.memberships.members(roomId)) {
    expect(member.membership).toBe(dag.events.get(member.eventId)!.content.membership);
  }
}

describe.each(['1', '2', '6', '10', '11', '12'])('room version %s', (versionId) => {
  it('a linear history verifies and its states match the core', async () => {
    const roomId = await alice.createRoomOk({ room_version: versionId, preset: 'public_chat', name: 'DAG', topic: 'T' });
    await bob.joinById(roomId);
    for (let i = 0; i < 5; i++) await alice.sendOk(roomId, `m${i}`);
    await alice.putState(roomId, 'm.room.name', '', { name: 'DAG 2' });
    const msg = await bob.sendOk(roomId, 'bye');
    await bob.redact(roomId, msg);
    await alice.kick(roomId, bob.userId);
    verifyStates(roomId);
  });

  it('forks are resolved; soft-failed and rejected events stay hidden', async () => {
    const services = server.homeserver.services;
    const version = requireRoomVersion(versionId);
    const roomId = await alice.createRoomOk({
      room_version: versionId,
      preset: 'public_chat',
      power_level_content_override: versionId === '12' ? { users: { [bob.userId]: 50 } } : { users: { [alice.userId]: 100, [bob.userId]: 50 } },
    });
    await bob.joinById(roomId);
    const fork = services.rooms.loader;
    const base = reader.events.forwardExtremities(roomId);
    expect(base).toHaveLength(1);

    let n = 0;
    // Builds an event on the given prev events and the state after them (as another server would).
    const make = (template: Omit<EventTemplate, 'room_id'>, prevs: readonly string[]): { pdu: Pdu; event: RoomEvent } => {
      const groups = prevs.map((id) => reader.events.get(id)!.stateGroup!);
      const state = services.rooms.state.resolveGroups(version, groups);
      const lookup = services.rooms.state.mapLookup(state);
      const built = buildEvent(
        { ...template, room_id: roomId },
        {
          version,
          origin: 'localhost',
          key: services.signingKey,
          originServerTs: Date.now() + n++,
          prevEvents: prevs.map((id) => ({ event_id: id, depth: reader.events.get(id)!.depth })),
          state: lookup,
          referenceHash: (id) => fork.referenceHash(id),
          randomBytes: new Uint8Array(18).map(() => Math.floor(Math.random() * 256)),
        },
      );
      return { pdu: built.pdu, event: built.event };
    };
    const persist = (made: { pdu: Pdu; event: RoomEvent }): PersistOutcome => services.rooms.persister.persist({ ...made, version });

    // Two branches from the same point: Alice renames, Bob sets the topic. Both are fine.
    const a = persist(make({ type: 'm.room.name', state_key: '', sender: alice.userId, content: { name: 'Branch A' } }, [base[0]!.eventId]));
    const b = persist(make({ type: 'm.room.topic', state_key: '', sender: bob.userId, content: { topic: 'Branch B' } }, [base[0]!.eventId]));
    expect([a.status, b.status]).toEqual(['accepted', 'accepted']);
    expect(reader.events.forwardExtremities(roomId).map((x) => x.eventId).sort()).toEqual([a.eventId, b.eventId].sort());
    expect((await alice.getState(roomId, 'm.room.name')).body).toEqual({ name: 'Branch A' });
    expect((await alice.getState(roomId, 'm.room.topic')).body).toEqual({ topic: 'Branch B' });

    // A local message merges both branches.
    const merge = await alice.sendOk(roomId, 'merged');
    const mergePdu = JSON.parse(reader.events.get(merge)!.json) as Pdu;
    expect(toRoomEvent(mergePdu, version).prev_events.slice().sort()).toEqual([a.eventId, b.eventId].sort());
    expect(reader.events.forwardExtremities(roomId).map((x) => x.eventId)).toEqual([merge]);

    // Alice demotes Bob; then an event from Bob built on the state before the demotion arrives:
    // allowed by its auth events and the state before it, refused by the current state.
    const before = reader.events.forwardExtremities(roomId)[0]!.eventId;
    const pl = (await alice.getState(roomId, 'm.room.power_levels')).body;
    await alice.putState(roomId, 'm.room.power_levels', '', { ...pl, users: { ...pl.users, [bob.userId]: 0 } });
    const late = persist(make({ type: 'm.room.topic', state_key: '', sender: bob.userId, content: { topic: 'too late' } }, [before]));
    expect(late.status).toBe('soft_failed');
    expect((await alice.getState(roomId, 'm.room.topic')).body).toEqual({ topic: 'Branch B' });
    expectError(await alice.event(roomId, late.eventId), 404, 'M_NOT_FOUND');

    // An event its own auth events refuse: rejected, never shown, not in any state.
    const rejected = persist(make({ type: 'm.room.name', state_key: '', sender: bob.userId, content: { name: 'Bob was here' } }, [reader.events.forwardExtremities(roomId)[0]!.eventId]));
    expect(rejected.status).toBe('rejected');
    expectError(await alice.event(roomId, rejected.eventId), 404, 'M_NOT_FOUND');
    expect((await alice.getState(roomId, 'm.room.name')).body).toEqual({ name: 'Branch A' });

    // An event built elsewhere on an older point of the DAG is accepted and merges in.
    expect(persist(make({ type: 'm.room.message', sender: alice.userId, content: { body: 'x' } }, [merge])).status).toBe('accepted');
    verifyStates(roomId);
  });
});

describe('state groups', () => {
  it('long delta chains are cut by snapshots, and every state still matches', async () => {
    const roomId = await alice.createRoomOk({ room_version: '12' });
    for (let i = 0; i < 130; i++) {
      const res = await alice.putState(roomId, 'org.example.counter', String(i % 7), { i });
      expect(res.status).toBe(200);
    }
    const last = reader.events.get(reader.events.forwardExtremities(roomId)[0]!.eventId)!;
    const group = reader.state.group(last.stateGroup!)!;
    expect(group.chainLength).toBeLessThan(100);
    // Walking back from the last group reaches a snapshot well before the create event.
    let walk = group;
    let steps = 0;
    while (walk.prevGroup !== null) {
      walk = reader.state.group(walk.prevGroup)!;
      steps++;
    }
    expect(steps).toBe(group.chainLength);
    expect(reader.state.stateOfGroup(walk.id).length).toBeGreaterThan(5);
    verifyStates(roomId);
  });
});

describe('persister input checks', () => {
  it('events with unknown prev or auth events are refused with what is missing', async () => {
    const services = server.homeserver.services;
    const version = requireRoomVersion('10');
    const roomId = await alice.createRoomOk({ room_version: '10' });
    const extremity = reader.events.forwardExtremities(roomId)[0]!;
    const built = buildEvent(
      { type: 'm.room.message', sender: alice.userId, content: { body: 'x' }, room_id: roomId },
      {
        version,
        origin: 'localhost',
        key: services.signingKey,
        originServerTs: Date.now(),
        prevEvents: [{ event_id: '$' + 'A'.repeat(43), depth: extremity.depth }],
        state: services.rooms.state.currentLookup(roomId),
      },
    );
    expect(() => services.rooms.persister.persist({ pdu: built.pdu, event: built.event, version })).toThrow(/missing prev events/);
    const again = services.rooms.persister.persist({ pdu: built.pdu, event: built.event, version, outlier: true });
    expect(again.status).toBe('outlier');
    // Receiving it again as a timeline event would promote the outlier, which still needs the
    // prev events: refused the same way, and the outlier stays as it was.
    expect(() => services.rooms.persister.persist({ pdu: built.pdu, event: built.event, version })).toThrow(/missing prev events/);
    expect(services.rooms.persister.persist({ pdu: built.pdu, event: built.event, version, outlier: true }).status).toBe('duplicate');
  });
});
