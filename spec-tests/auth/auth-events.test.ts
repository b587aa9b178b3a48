import { describe, expect, it } from 'vitest';
import { authEventsSelection, checkAuthEventsList } from '../../src/core/auth/index.js';
import type { RoomEvent } from '../../src/core/events/room-event.js';
import type { JsonObject } from '../../src/core/json.js';
import { requireRoomVersion } from '../../src/core/room-versions.js';
import { ALICE, BOB, DAVE, TestRoom, expectAllowed, expectRejected } from './factory.js';

const sortPairs = (pairs: Array<[string, string]>) => pairs.map(([t, k]) => `${t}|${k}`).sort();

describe('auth events selection', () => {
  it('the create event selects nothing', () => {
    expect(authEventsSelection(requireRoomVersion('1'), { type: 'm.room.create', state_key: '', sender: ALICE, content: {} })).toEqual([]);
  });

  it('a message: create (before v12), power levels, the sender membership', () => {
    const message = { type: 'm.room.message', sender: BOB, content: {} };
    expect(sortPairs(authEventsSelection(requireRoomVersion('11'), message))).toEqual(
      sortPairs([['m.room.create', ''], ['m.room.power_levels', ''], ['m.room.member', BOB]]),
    );
    expect(sortPairs(authEventsSelection(requireRoomVersion('12'), message))).toEqual(
      sortPairs([['m.room.power_levels', ''], ['m.room.member', BOB]]),
    );
  });

  it('memberships add the target, join rules for join/invite/knock, third-party invite tokens', () => {
    const v10 = requireRoomVersion('10');
    const member = (sender: string, stateKey: string, content: JsonObject) =>
      authEventsSelection(v10, { type: 'm.room.member', sender, state_key: stateKey, content });
    expect(sortPairs(member(ALICE, BOB, { membership: 'ban' }))).toEqual(
      sortPairs([['m.room.create', ''], ['m.room.power_levels', ''], ['m.room.member', ALICE], ['m.room.member', BOB]]),
    );
    // Self-membership lists the member event once.
    expect(member(BOB, BOB, { membership: 'knock' })).toHaveLength(4);
    expect(sortPairs(member(BOB, BOB, { membership: 'knock' }))).toContain('m.room.join_rules|');
    expect(sortPairs(member(ALICE, BOB, { membership: 'invite', third_party_invite: { signed: { token: 'tok', mxid: BOB } } }))).toContain(
      'm.room.third_party_invite|tok',
    );
  });

  it('join_authorised_via_users_server is selected for joins from v8 only', () => {
    const join = { type: 'm.room.member', sender: BOB, state_key: BOB, content: { membership: 'join', join_authorised_via_users_server: DAVE } };
    expect(sortPairs(authEventsSelection(requireRoomVersion('8'), join))).toContain(`m.room.member|${DAVE}`);
    expect(sortPairs(authEventsSelection(requireRoomVersion('7'), join))).not.toContain(`m.room.member|${DAVE}`);
    const leave = { ...join, content: { ...join.content, membership: 'leave' } };
    expect(sortPairs(authEventsSelection(requireRoomVersion('12'), leave))).not.toContain(`m.room.member|${DAVE}`);
  });
});

/** Builds the event with auth_events pointing at the given events. */
function withAuth(event: RoomEvent, auth: RoomEvent[]): RoomEvent {
  return { ...event, auth_events: auth.map((e) => e.event_id) };
}

describe('checkAuthEventsList (rule 2; v12 rule 3)', () => {
  function setup(v: string) {
    const room = new TestRoom(v);
    const aliceJoin = room.accept(room.member(ALICE, 'join'));
    const pl = room.accept(room.powerLevels(ALICE, room.defaultPowerLevels()));
    const rules = room.accept(room.joinRules(ALICE, 'public'));
    return { room, aliceJoin, pl, rules };
  }

  it('pre-v12: the correct list is allowed; 2.4 a missing create event is rejected', () => {
    const { room, aliceJoin, pl } = setup('11');
    const message = room.message(ALICE);
    expectAllowed(checkAuthEventsList(room.version, withAuth(message, [room.create, pl, aliceJoin]), [room.create, pl, aliceJoin]));
    expectRejected(checkAuthEventsList(room.version, withAuth(message, [pl, aliceJoin]), [pl, aliceJoin]), /m.room.create/);
  });

  it('v12: the list must not contain the create event, and need not', () => {
    const { room, aliceJoin, pl } = setup('12');
    const message = room.message(ALICE);
    expectAllowed(checkAuthEventsList(room.version, withAuth(message, [pl, aliceJoin]), [pl, aliceJoin]));
    expectRejected(
      checkAuthEventsList(room.version, withAuth(message, [room.create, pl, aliceJoin]), [room.create, pl, aliceJoin]),
      /must not list the m.room.create/,
    );
  });

  it('2.1 duplicate (type, state_key) pairs are rejected', () => {
    const { room, aliceJoin, pl } = setup('9');
    const oldPl = { ...pl, event_id: '$oldpl' };
    const message = withAuth(room.message(ALICE), [room.create, pl, oldPl, aliceJoin]);
    expectRejected(checkAuthEventsList(room.version, message, [room.create, pl, oldPl, aliceJoin]), /more than once/);
  });

  it('2.2 entries the selection does not name are rejected', () => {
    const { room, aliceJoin, pl, rules } = setup('6');
    // A message does not cite the join rules ...
    const message = withAuth(room.message(ALICE), [room.create, pl, aliceJoin, rules]);
    expectRejected(checkAuthEventsList(room.version, message, [room.create, pl, aliceJoin, rules]), /selection/);
    // ... but a join does.
    const join = withAuth(room.member(BOB, 'join'), [room.create, pl, rules]);
    expectAllowed(checkAuthEventsList(room.version, join, [room.create, pl, rules]));
  });

  it("2.5 auth events from another room are rejected", () => {
    const { room, aliceJoin, pl } = setup('4');
    const foreignPl = { ...pl, room_id: '!other:a.test' };
    const message = withAuth(room.message(ALICE), [room.create, foreignPl, aliceJoin]);
    expectRejected(checkAuthEventsList(room.version, message, [room.create, foreignPl, aliceJoin]), /another room/);
  });

  it('an auth event the caller could not supply fails closed', () => {
    const { room, aliceJoin, pl } = setup('10');
    const message = withAuth(room.message(ALICE), [room.create, pl, aliceJoin]);
    expectRejected(checkAuthEventsList(room.version, message, [room.create, aliceJoin]), /not available/);
  });

  it('the create event itself is judged by rule 1 alone', () => {
    const { room } = setup('1');
    expectAllowed(checkAuthEventsList(room.version, room.create, []));
  });
});
