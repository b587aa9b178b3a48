import { describe, expect, it } from 'vitest';
import { authorisingServer } from '../../src/core/auth/index.js';
import { requireRoomVersion } from '../../src/core/room-versions.js';
import { ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, TestRoom, expectAllowed, expectRejected } from './factory.js';

describe('member 1: shape', () => {
  it.each(ALL_VERSIONS)('v%s: no state_key or no membership is rejected', (v) => {
    const room = TestRoom.standard(v);
    const join = room.member(BOB, 'join');
    expectAllowed(room.check(join));
    const { state_key: _omit, ...withoutStateKey } = join;
    expectRejected(room.check(withoutStateKey), /state_key/);
    expectRejected(room.check({ ...join, content: {} }), /membership/);
    expectRejected(room.check({ ...join, content: { membership: 5 } }), /membership/);
  });

  it.each(ALL_VERSIONS)('v%s: an unknown membership is rejected', (v) => {
    const room = TestRoom.standard(v, { joined: [BOB] });
    expectRejected(room.check(room.member(BOB, 'lurk')), /unknown membership/);
  });
});

describe('member join', () => {
  it.each(ALL_VERSIONS)("v%s: join 1 the creator's join straight after the create event", (v) => {
    const room = new TestRoom(v);
    // No join rules, no power levels: only the first-join shortcut can allow this.
    expectAllowed(room.check(room.member(ALICE, 'join')));
    // The same join with another prev event has to pass the ordinary rules (no join_rules: invite).
    expectRejected(room.check({ ...room.member(ALICE, 'join'), prev_events: ['$other'] }), /invite/);
  });

  it('v10 vs v11: the first-join creator is content.creator before v11, the sender from v11', () => {
    const v10 = new TestRoom('10', { createContent: { creator: BOB } });
    expectAllowed(v10.check(v10.member(BOB, 'join')));
    expectRejected(v10.check(v10.member(ALICE, 'join')));

    const v11 = new TestRoom('11', { createContent: { creator: BOB } });
    expectAllowed(v11.check(v11.member(ALICE, 'join')));
    expectRejected(v11.check(v11.member(BOB, 'join')));
  });

  it('v12: an additional creator does not get the first-join shortcut', () => {
    const room = new TestRoom('12', { createContent: { additional_creators: [BOB] } });
    expectRejected(room.check(room.member(BOB, 'join')), /invite/);
    expectAllowed(room.check(room.member(ALICE, 'join')));
  });

  it.each(ALL_VERSIONS)('v%s: join 2 a user may only join themself', (v) => {
    const room = TestRoom.standard(v);
    expectRejected(room.check(room.member(ALICE, 'join', BOB)), /themself/);
  });

  it.each(ALL_VERSIONS)('v%s: join 3 a banned user may not join a public room', (v) => {
    const room = TestRoom.standard(v);
    room.forceMembership(BOB, 'ban', ALICE);
    expectRejected(room.check(room.member(BOB, 'join')), /banned/);
  });

  it.each(ALL_VERSIONS)('v%s: join 4 invite rooms admit invited (and joined) users only', (v) => {
    const room = TestRoom.standard(v, { joinRule: 'invite' });
    expectRejected(room.check(room.member(BOB, 'join')), /not invited/);
    room.accept(room.member(ALICE, 'invite', BOB));
    expectAllowed(room.check(room.member(BOB, 'join')));
    room.accept(room.member(BOB, 'join'));
    // A profile change is a join from join.
    expectAllowed(room.check(room.member(BOB, 'join', BOB, { displayname: 'Bob' })));
  });

  it.each(ALL_VERSIONS)('v%s: a room without m.room.join_rules is treated as invite-only', (v) => {
    const room = new TestRoom(v).creatorJoins();
    expectRejected(room.check(room.member(BOB, 'join')));
    room.forceMembership(BOB, 'invite', ALICE);
    expectAllowed(room.check(room.member(BOB, 'join')));
  });

  it('knock join rule: meaningless in v6 (joins rejected even when invited), invite-like from v7', () => {
    const v6 = TestRoom.standard('6', { joinRule: 'knock' });
    v6.forceMembership(BOB, 'invite', ALICE);
    expectRejected(v6.check(v6.member(BOB, 'join')), /does not admit/);

    const v7 = TestRoom.standard('7', { joinRule: 'knock' });
    expectRejected(v7.check(v7.member(BOB, 'join')), /not invited/);
    v7.forceMembership(BOB, 'invite', ALICE);
    expectAllowed(v7.check(v7.member(BOB, 'join')));
  });

  it.each(ALL_VERSIONS)('v%s: join 6 public rooms admit anyone not banned; join 7 other rules reject', (v) => {
    const room = TestRoom.standard(v);
    expectAllowed(room.check(room.member(BOB, 'join')));
    const priv = TestRoom.standard(v, { joinRule: 'private' });
    expectRejected(priv.check(priv.member(BOB, 'join')), /does not admit/);
  });
});

describe('member join: restricted rooms (v8+) and knock_restricted (v10+)', () => {
  const allow = [{ type: 'm.room_membership', room_id: '!space:a.test' }];

  function restricted(v: string, joinRule = 'restricted'): TestRoom {
    return TestRoom.standard(v, { joinRule, users: { [DAVE]: 0 }, joined: [DAVE], levels: { invite: 0 } });
  }

  it('v7: restricted is an unknown join rule, so even an authorised join is rejected', () => {
    const room = TestRoom.standard('7', { joinRule: 'restricted' });
    expectRejected(room.check(room.member(BOB, 'join', BOB, { join_authorised_via_users_server: ALICE })), /does not admit/);
  });

  it.each(['8', '9', '10', '11', '12'])('v%s: join 5 a join authorised by a joined user who may invite is allowed', (v) => {
    const room = TestRoom.standard(v, { joinRule: 'restricted' });
    room.put(room.joinRules(ALICE, 'restricted', { allow }));
    expectAllowed(room.check(room.member(BOB, 'join', BOB, { join_authorised_via_users_server: ALICE })));
  });

  it.each(['8', '12'])('v%s: join 5.2 the authorising user must be joined and able to invite', (v) => {
    const room = restricted(v);
    expectRejected(room.check(room.member(BOB, 'join')), /join_authorised_via_users_server/);
    expectRejected(room.check(room.member(BOB, 'join', BOB, { join_authorised_via_users_server: CAROL })), /not joined/);
    // Dave is joined at level 0 and invite is 0: fine.
    expectAllowed(room.check(room.member(BOB, 'join', BOB, { join_authorised_via_users_server: DAVE })));
    // Raise the invite level above Dave.
    room.put(room.powerLevels(ALICE, room.defaultPowerLevels({ invite: 50, users: { [DAVE]: 0 } })));
    expectRejected(room.check(room.member(BOB, 'join', BOB, { join_authorised_via_users_server: DAVE })), /may not invite/);
  });

  it.each(['8', '10'])('v%s: join 5.1 invited users need no authoriser', (v) => {
    const room = restricted(v);
    room.forceMembership(BOB, 'invite', ALICE);
    expectAllowed(room.check(room.member(BOB, 'join')));
  });

  it('join 5 with knock_restricted: rejected in v9, allowed in v10', () => {
    const v9 = restricted('9', 'knock_restricted');
    expectRejected(v9.check(v9.member(BOB, 'join', BOB, { join_authorised_via_users_server: DAVE })), /does not admit/);
    const v10 = restricted('10', 'knock_restricted');
    expectAllowed(v10.check(v10.member(BOB, 'join', BOB, { join_authorised_via_users_server: DAVE })));
  });

  it('member 2: a join_authorised_via_users_server that is not a user ID is rejected from v8 and ignored before', () => {
    const v7 = TestRoom.standard('7');
    expectAllowed(v7.check(v7.member(BOB, 'join', BOB, { join_authorised_via_users_server: 'nobody' })));
    const v8 = TestRoom.standard('8');
    expectRejected(v8.check(v8.member(BOB, 'join', BOB, { join_authorised_via_users_server: 'nobody' })), /not a user ID/);
    expectRejected(v8.check(v8.member(BOB, 'join', BOB, { join_authorised_via_users_server: null })), /not a user ID/);
  });

  it('authorisingServer names the server whose signature member rule 2 requires', () => {
    const room = TestRoom.standard('9');
    const join = room.member(BOB, 'join', BOB, { join_authorised_via_users_server: '@dave:a.test:8448' });
    expect(authorisingServer(room.version, join)).toBe('a.test:8448');
    expect(authorisingServer(requireRoomVersion('7'), join)).toBeUndefined();
    expect(authorisingServer(room.version, room.member(BOB, 'join'))).toBeUndefined();
  });
});

describe('member invite', () => {
  it.each(ALL_VERSIONS)('v%s: invite 2-5', (v) => {
    const room = TestRoom.standard(v, { joinRule: 'invite', joined: [DAVE] });
    // 2: the inviter must be joined.
    expectRejected(room.check(room.member(CAROL, 'invite', BOB)), /not joined/);
    // 4: allowed at or above the invite level (0 by default).
    expectAllowed(room.check(room.member(DAVE, 'invite', BOB)));
    // 3: not if the target is joined or banned.
    room.forceMembership(BOB, 'join');
    expectRejected(room.check(room.member(DAVE, 'invite', BOB)), /joined/);
    room.forceMembership(BOB, 'ban', ALICE);
    expectRejected(room.check(room.member(DAVE, 'invite', BOB)), /banned/);
  });

  it.each(ALL_VERSIONS)('v%s: invite 5 below the invite level is rejected', (v) => {
    const room = TestRoom.standard(v, { joinRule: 'invite', joined: [DAVE], levels: { invite: 50 } });
    expectRejected(room.check(room.member(DAVE, 'invite', BOB)), /invite level/);
    expectAllowed(room.check(room.member(ALICE, 'invite', BOB)));
  });
});

describe('member leave', () => {
  it.each(ALL_VERSIONS)('v%s: leave 1 leaving or rejecting an invite, but not from nothing', (v) => {
    const room = TestRoom.standard(v, { joined: [DAVE] });
    expectAllowed(room.check(room.member(DAVE, 'leave')));
    expectRejected(room.check(room.member(BOB, 'leave')), /not joined, invited/);
    room.forceMembership(BOB, 'invite', ALICE);
    expectAllowed(room.check(room.member(BOB, 'leave')));
    room.forceMembership(BOB, 'ban', ALICE);
    expectRejected(room.check(room.member(BOB, 'leave')));
  });

  it('leave 1: withdrawing a knock is allowed from v7, not in v6', () => {
    const v6 = TestRoom.standard('6');
    v6.forceMembership(BOB, 'knock');
    expectRejected(v6.check(v6.member(BOB, 'leave')));
    const v7 = TestRoom.standard('7');
    v7.forceMembership(BOB, 'knock');
    expectAllowed(v7.check(v7.member(BOB, 'leave')));
  });

  it.each(ALL_VERSIONS)('v%s: leave 2-5 kicks', (v) => {
    const room = TestRoom.standard(v, { joined: [BOB, DAVE], users: { [DAVE]: 50 } });
    // 2: a kicker who is not joined.
    room.forceMembership(CAROL, 'leave');
    expectRejected(room.check(room.member(CAROL, 'leave', BOB)), /not joined/);
    // 4: at the kick level and above the target.
    expectAllowed(room.check(room.member(DAVE, 'leave', BOB)));
    // 5: not above the target.
    expectRejected(room.check(room.member(BOB, 'leave', DAVE)), /may not kick/);
    expectRejected(room.check(room.member(DAVE, 'leave', ALICE)), /may not kick/);
  });

  it.each(ALL_VERSIONS)('v%s: leave 3 unbanning needs the ban level as well as the kick level', (v) => {
    const room = TestRoom.standard(v, { joined: [DAVE], users: { [DAVE]: 50 }, levels: { ban: 60, kick: 50 } });
    room.forceMembership(BOB, 'ban', ALICE);
    expectRejected(room.check(room.member(DAVE, 'leave', BOB)), /ban level/);
    expectAllowed(room.check(room.member(ALICE, 'leave', BOB)));
  });
});

describe('member ban', () => {
  it.each(ALL_VERSIONS)('v%s: ban 1-3', (v) => {
    const room = TestRoom.standard(v, { joined: [BOB, DAVE], users: { [DAVE]: 50, [BOB]: 50 } });
    expectAllowed(room.check(room.member(DAVE, 'ban', CAROL)));
    // Equal levels may not ban each other.
    expectRejected(room.check(room.member(DAVE, 'ban', BOB)), /may not ban/);
    expectAllowed(room.check(room.member(ALICE, 'ban', BOB)));
    // A sender who is not joined.
    room.forceMembership(BOB, 'leave');
    expectRejected(room.check(room.member(BOB, 'ban', CAROL)), /not joined/);
  });

  it.each(ALL_VERSIONS)('v%s: ban 3 below the ban level', (v) => {
    const room = TestRoom.standard(v, { joined: [DAVE], users: { [DAVE]: 40 } });
    expectRejected(room.check(room.member(DAVE, 'ban', CAROL)), /may not ban/);
  });
});

describe('member knock', () => {
  it('knock is an unknown membership in v6 and allowed in a knock room from v7', () => {
    const v6 = TestRoom.standard('6', { joinRule: 'knock' });
    expectRejected(v6.check(v6.member(BOB, 'knock')), /unknown membership/);
    const v7 = TestRoom.standard('7', { joinRule: 'knock' });
    expectAllowed(v7.check(v7.member(BOB, 'knock')));
  });

  it.each(['7', '10', '12'])('v%s: knock 1-4', (v) => {
    const room = TestRoom.standard(v, { joinRule: 'knock', joined: [DAVE] });
    expectRejected(room.check(room.member(DAVE, 'knock', BOB)), /themself/);
    expectRejected(room.check(room.member(DAVE, 'knock')), /joined/);
    room.forceMembership(BOB, 'invite', ALICE);
    expectRejected(room.check(room.member(BOB, 'knock')), /invited/);
    room.forceMembership(BOB, 'ban', ALICE);
    expectRejected(room.check(room.member(BOB, 'knock')), /banned/);
    room.forceMembership(BOB, 'leave', ALICE);
    expectAllowed(room.check(room.member(BOB, 'knock')));

    const publicRoom = TestRoom.standard(v);
    expectRejected(publicRoom.check(publicRoom.member(BOB, 'knock')), /does not allow knocking/);
  });

  it('knock 1 with knock_restricted: rejected in v9, allowed in v10', () => {
    const v9 = TestRoom.standard('9', { joinRule: 'knock_restricted' });
    expectRejected(v9.check(v9.member(BOB, 'knock')), /does not allow knocking/);
    const v10 = TestRoom.standard('10', { joinRule: 'knock_restricted' });
    expectAllowed(v10.check(v10.member(BOB, 'knock')));
  });
});

describe('v12 creators', () => {
  it('a PL-100 admin can neither kick nor ban the creator; the creator can remove the admin', () => {
    const room = TestRoom.standard('12', { joined: [DAVE], users: { [DAVE]: 100 } });
    expectRejected(room.check(room.member(DAVE, 'ban', ALICE)), /may not ban/);
    expectRejected(room.check(room.member(DAVE, 'leave', ALICE)), /may not kick/);
    expectAllowed(room.check(room.member(ALICE, 'ban', DAVE)));
    expectAllowed(room.check(room.member(ALICE, 'leave', DAVE)));
  });

  it('v11 for contrast: the creator is an ordinary PL-100 user, and a PL-100 peer still cannot ban them, but a higher one can', () => {
    const room = TestRoom.standard('11', { joined: [DAVE], users: { [DAVE]: 101 } });
    expectAllowed(room.check(room.member(DAVE, 'ban', ALICE)));
    const v12 = TestRoom.standard('12', { joined: [DAVE], users: { [DAVE]: 1_000_000 } });
    expectRejected(v12.check(v12.member(DAVE, 'ban', ALICE)));
  });

  it('additional creators are untouchable too, and creators cannot remove each other', () => {
    const room = TestRoom.standard('12', {
      createContent: { additional_creators: [BOB] },
      joined: [BOB, DAVE],
      users: { [DAVE]: 100 },
    });
    expectRejected(room.check(room.member(DAVE, 'ban', BOB)), /may not ban/);
    expectRejected(room.check(room.member(ALICE, 'ban', BOB)), /may not ban/);
    expectRejected(room.check(room.member(BOB, 'leave', ALICE)), /may not kick/);
    expectAllowed(room.check(room.member(BOB, 'ban', DAVE)));
  });

  it('an additional creator can invite even when the invite level is high', () => {
    const room = TestRoom.standard('12', {
      createContent: { additional_creators: [BOB] },
      joinRule: 'invite',
      joined: [BOB, DAVE],
      users: { [DAVE]: 99 },
      levels: { invite: 100 },
    });
    expectAllowed(room.check(room.member(BOB, 'invite', CAROL)));
    expectRejected(room.check(room.member(DAVE, 'invite', CAROL)), /invite level/);
  });
});
