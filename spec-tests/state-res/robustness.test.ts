import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stateTupleKey, type RoomEvent, type StateMap } from '../../src/core/events/room-event.js';
import type { JsonValue } from '../../src/core/json.js';
import { requireRoomVersion } from '../../src/core/room-versions.js';
import { resolveDag, resolveState } from '../../src/core/state-res/index.js';

/**
 * Hostile or broken input: events with odd types and contents, auth and prev links to events that
 * do not exist, state sets naming unknown events. Resolution must skip what it cannot use and
 * still answer, with every resolved entry coming from some input state set.
 */
const TYPES = ['m.room.create', 'm.room.member', 'm.room.power_levels', 'm.room.join_rules', 'm.room.topic', 'm.room.third_party_invite'];
const USERS = ['@a:x', '@b:x', '@c:y'];
const contentValue: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constantFrom<JsonValue>('join', 'leave', 'ban', 'invite', 'knock', 'public', 50, '50', -1, null, true),
  fc.dictionary(fc.constantFrom(...USERS, 'x'), fc.constantFrom<JsonValue>(0, 50, 100, '75', 'x', null)),
);
const content = fc.dictionary(
  fc.constantFrom('membership', 'join_rule', 'users', 'users_default', 'state_default', 'events', 'ban', 'kick', 'creator', 'third_party_invite', 'additional_creators'),
  contentValue,
);

const scenario = fc
  .record({
    version: fc.constantFrom('1', '2', '10', '11', '12'),
    events: fc.array(
      fc.record({
        type: fc.constantFrom(...TYPES),
        stateKey: fc.option(fc.constantFrom('', ...USERS), { nil: undefined }),
        sender: fc.constantFrom(...USERS),
        content,
        auth: fc.array(fc.nat(40), { maxLength: 5 }),
        prev: fc.array(fc.nat(40), { maxLength: 3 }),
        ts: fc.integer({ min: 0, max: 5 }),
      }),
      { minLength: 1, maxLength: 25 },
    ),
    sets: fc.array(fc.array(fc.nat(40), { maxLength: 10 }), { minLength: 2, maxLength: 3 }),
  })
  .map(({ version, events, sets }) => {
    const roomId = version === '12' ? '!e0' : '!r:x';
    const list: RoomEvent[] = events.map((e, i) => ({
      event_id: `$e${i}`,
      room_id: roomId,
      type: e.type,
      ...(e.stateKey !== undefined ? { state_key: e.stateKey } : {}),
      sender: e.sender,
      content: e.content,
      // Links may point forwards (cycles) or past the end (unknown events).
      auth_events: e.auth.map((n) => `$e${n}`),
      prev_events: e.prev.map((n) => `$e${n}`),
      origin_server_ts: e.ts,
      depth: i,
    }));
    const stateSets: StateMap[] = sets.map((picks) => {
      const set: StateMap = new Map();
      for (const n of picks) {
        const event = list[n];
        if (event === undefined) set.set(stateTupleKey('m.room.topic', `@ghost${n}`), `$e${n}`);
        else if (event.state_key !== undefined) set.set(stateTupleKey(event.type, event.state_key), event.event_id);
      }
      return set;
    });
    return { version: requireRoomVersion(version), list, stateSets };
  });

describe('state resolution on broken input', () => {
  it('never throws, and only picks events some input state set holds for the key', () => {
    fc.assert(
      fc.property(scenario, ({ version, list, stateSets }) => {
        const byId = new Map(list.map((e) => [e.event_id, e]));
        const resolved = resolveState(version, stateSets, (id) => byId.get(id));
        for (const [key, id] of resolved) {
          const fromInput = stateSets.some((set) => set.get(key) === id);
          const event = byId.get(id);
          // v2 may also admit events from the auth difference, always under their own key.
          const ownKey = event !== undefined && event.state_key !== undefined && stateTupleKey(event.type, event.state_key) === key;
          expect(fromInput || ownKey).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('the DAG walker either answers or throws a ProtocolError (cycles, duplicates)', () => {
    fc.assert(
      fc.property(scenario, ({ version, list }) => {
        try {
          resolveDag(version, list);
        } catch (err) {
          expect((err as Error).name).toBe('StateDagError');
        }
      }),
      { numRuns: 200 },
    );
  });
});
