import { describe, expect, it } from 'vitest';
import { parsePowerLevelValue, parsePowerLevels, userPowerLevel } from '../../src/core/auth/index.js';
import type { JsonObject } from '../../src/core/json.js';
import { requireRoomVersion } from '../../src/core/room-versions.js';
import { ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, TestRoom, expectAllowed, expectRejected } from './factory.js';

const v = (id: string) => requireRoomVersion(id);

describe('power level values', () => {
  it('v1-v9 accept integer strings in the spec grammar', () => {
    for (const [text, value] of [
      ['100', 100],
      ['000100', 100],
      ['+100', 100],
      ['-100', -100],
      [' 00100 ', 100],
      [' +100 ', 100],
    ] as const) {
      expect(parsePowerLevelValue(v('9'), text)).toBe(value);
    }
    for (const bad of ['1.5', '1e3', '', ' ', '++1', '0x10', 'ten', '- 1']) {
      expect(parsePowerLevelValue(v('9'), bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('v1-v5 truncate floats', () => {
    expect(parsePowerLevelValue(v('5'), 50.57)).toBe(50);
    expect(parsePowerLevelValue(v('1'), 5.114698e4)).toBe(51146);
    expect(parsePowerLevelValue(v('1'), -0.5)).toBe(0);
  });

  it('v10+ accept JSON integers only', () => {
    expect(parsePowerLevelValue(v('10'), 50)).toBe(50);
    expect(parsePowerLevelValue(v('10'), '50')).toBeUndefined();
    expect(parsePowerLevelValue(v('10'), 50.5)).toBeUndefined();
    expect(parsePowerLevelValue(v('12'), 2 ** 60)).toBeUndefined();
    expect(parsePowerLevelValue(v('12'), null)).toBeUndefined();
  });

  it('parsePowerLevels reports the offending field', () => {
    const parsed = parsePowerLevels(v('10'), { ban: '50' });
    expect('error' in parsed && parsed.error).toMatch(/ban/);
    const ok = parsePowerLevels(v('9'), { ban: '50', users: { [ALICE]: '100' }, events: { 'm.room.name': ' 50 ' } });
    expect('error' in ok).toBe(false);
    if (!('error' in ok)) {
      expect(ok.fields.ban).toBe(50);
      expect(ok.users.get(ALICE)).toBe(100);
      expect(ok.events.get('m.room.name')).toBe(50);
    }
  });
});

describe('userPowerLevel', () => {
  it('without a power levels event: creator 100 and everyone else 0 (v1-v11)', () => {
    const v10 = new TestRoom('10', { createContent: { creator: BOB } });
    expect(userPowerLevel(v10.version, BOB, undefined, v10.create)).toBe(100);
    expect(userPowerLevel(v10.version, ALICE, undefined, v10.create)).toBe(0);
    const v11 = new TestRoom('11', { createContent: { creator: BOB } });
    expect(userPowerLevel(v11.version, ALICE, undefined, v11.create)).toBe(100);
    expect(userPowerLevel(v11.version, BOB, undefined, v11.create)).toBe(0);
  });

  it('v12: creators are infinite, with or without power levels', () => {
    const room = new TestRoom('12', { createContent: { additional_creators: [BOB] } });
    const pl = room.powerLevels(ALICE, { users: { [DAVE]: 50 }, users_default: 10 });
    expect(userPowerLevel(room.version, ALICE, undefined, room.create)).toBe(Infinity);
    expect(userPowerLevel(room.version, BOB, pl, room.create)).toBe(Infinity);
    expect(userPowerLevel(room.version, DAVE, pl, room.create)).toBe(50);
    expect(userPowerLevel(room.version, CAROL, pl, room.create)).toBe(10);
    expect(userPowerLevel(room.version, CAROL, undefined, room.create)).toBe(0);
  });

  it('with a power levels event the creator has no special level before v12', () => {
    const room = new TestRoom('11');
    const pl = room.powerLevels(ALICE, { users: { [DAVE]: '50' } });
    expect(userPowerLevel(room.version, ALICE, pl, room.create)).toBe(0);
    // Malformed for v11 (string), but this helper degrades rather than throwing.
    expect(userPowerLevel(room.version, DAVE, pl, room.create)).toBe(0);
    const v9 = new TestRoom('9');
    expect(userPowerLevel(v9.version, DAVE, v9.powerLevels(ALICE, { users: { [DAVE]: '50' } }), v9.create)).toBe(50);
  });
});

describe('rule 10: m.room.power_levels', () => {
  it('v9 vs v10: string values are allowed in v9 and rejected in v10 (10.1-10.3)', () => {
    const contents: JsonObject[] = [{ ban: '50' }, { events: { 'm.room.name': '50' } }, { users: { [DAVE]: '50' } }, { notifications: { room: '50' } }];
    for (const content of contents) {
      const v9 = TestRoom.standard('9');
      expectAllowed(v9.check(v9.powerLevels(ALICE, v9.defaultPowerLevels(content))));
      const v10 = TestRoom.standard('10');
      expectRejected(v10.check(v10.powerLevels(ALICE, v10.defaultPowerLevels(content))), /not an integer/);
    }
  });

  it('v1-v5 tolerate floats', () => {
    const room = TestRoom.standard('5');
    expectAllowed(room.check(room.powerLevels(ALICE, room.defaultPowerLevels({ users: { [DAVE]: 50.57 } }))));
  });

  it.each(ALL_VERSIONS)('v%s: 10.3 users keys must be user IDs and values integers', (ver) => {
    const room = TestRoom.standard(ver);
    expectRejected(room.check(room.powerLevels(ALICE, room.defaultPowerLevels({ users: { dave: 50 } }))), /not a user ID/);
    expectRejected(room.check(room.powerLevels(ALICE, room.defaultPowerLevels({ users: { [DAVE]: 'fifty' } }))), /not an integer/);
    expectRejected(room.check(room.powerLevels(ALICE, { users: [] })), /not an object/);
  });

  it.each(ALL_VERSIONS)('v%s: 10.5 the first power levels event is allowed whatever it says', (ver) => {
    const room = new TestRoom(ver).creatorJoins();
    expectAllowed(room.check(room.powerLevels(ALICE, { users: { [DAVE]: 1000 }, ban: 1000, events: { x: 1000 } })));
  });

  it.each(ALL_VERSIONS)('v%s: 10.6 single levels: neither the old nor the new value may exceed the sender', (ver) => {
    const room = TestRoom.standard(ver, { joined: [DAVE], users: { [DAVE]: 60 }, levels: { kick: 70, state_default: 50, events: { 'm.room.power_levels': 50 } } });
    const change = (levels: JsonObject) =>
      room.check(room.powerLevels(DAVE, room.defaultPowerLevels({ kick: 70, state_default: 50, events: { 'm.room.power_levels': 50 }, users: { [DAVE]: 60 }, ...levels })));
    expectAllowed(change({ ban: 60 }));
    expectRejected(change({ ban: 61 }), /ban/);
    // kick is currently 70, above Dave: he may not touch it, even downwards.
    expectRejected(change({ kick: 10 }), /kick/);
    expectAllowed(change({}));
  });

  it.each(['1', '10', '12'])('v%s: 10.6 absent levels count at their defaults', (ver) => {
    const room = TestRoom.standard(ver, { joined: [DAVE], users: { [DAVE]: 40 }, levels: { events: { 'm.room.power_levels': 40 }, ban: 30 } });
    const base = { events: { 'm.room.power_levels': 40 }, users: { [DAVE]: 40 } };
    // Removing ban (30 -> default 50) would raise it above Dave.
    expectRejected(room.check(room.powerLevels(DAVE, room.defaultPowerLevels(base))), /ban/);
    // Adding kick (default 50, above Dave) counts as changing a level above Dave.
    expectRejected(room.check(room.powerLevels(DAVE, room.defaultPowerLevels({ ...base, ban: 30, kick: 10 }))), /kick/);
    expectAllowed(room.check(room.powerLevels(DAVE, room.defaultPowerLevels({ ...base, ban: 30, invite: 10 }))));
  });

  it.each(ALL_VERSIONS)('v%s: 10.7-10.8 events entries', (ver) => {
    const events = { 'm.room.power_levels': 50, 'm.room.tombstone': 100, 'm.room.name': 50 };
    const room = TestRoom.standard(ver, { joined: [DAVE], users: { [DAVE]: 50 }, levels: { events } });
    const change = (e: JsonObject) => room.check(room.powerLevels(DAVE, room.defaultPowerLevels({ events: e, users: { [DAVE]: 50 } })));
    expectAllowed(change({ ...events, 'm.room.name': 0, 'm.room.topic': 50 }));
    expectRejected(change({ ...events, 'm.room.topic': 51 }), /m.room.topic/);
    expectRejected(change({ ...events, 'm.room.tombstone': 50 }), /m.room.tombstone/);
    const { 'm.room.tombstone': _removed, ...withoutTombstone } = events;
    expectRejected(change(withoutTombstone), /m.room.tombstone/);
  });

  it('notifications: ignored by the rules in v5, checked from v6', () => {
    for (const [ver, allowed] of [
      ['5', true],
      ['6', false],
      ['12', false],
    ] as const) {
      const room = TestRoom.standard(ver, { joined: [DAVE], users: { [DAVE]: 50 }, levels: { notifications: { room: 100 }, events: { 'm.room.power_levels': 50 } } });
      const result = room.check(
        room.powerLevels(DAVE, room.defaultPowerLevels({ notifications: { room: 0 }, events: { 'm.room.power_levels': 50 }, users: { [DAVE]: 50 } })),
      );
      if (allowed) expectAllowed(result);
      else expectRejected(result, /notification/);
    }
  });

  it.each(ALL_VERSIONS)('v%s: 10.9-10.10 users entries', (ver) => {
    const users = { [DAVE]: 50, [BOB]: 50, [CAROL]: 10 };
    const room = TestRoom.standard(ver, { joined: [DAVE], users, levels: { events: { 'm.room.power_levels': 50 } } });
    const change = (u: JsonObject) =>
      room.check(room.powerLevels(DAVE, room.defaultPowerLevels({ events: { 'm.room.power_levels': 50 }, users: u })));
    // Promote Carol up to Dave's own level, add a newcomer.
    expectAllowed(change({ ...users, [CAROL]: 50, '@new:d.test': 20 }));
    expectRejected(change({ ...users, [CAROL]: 51 }), /carol/);
    // A peer at Dave's level may not be demoted or removed ...
    expectRejected(change({ ...users, [BOB]: 0 }), /bob/);
    const { [BOB]: _bob, ...withoutBob } = users;
    expectRejected(change(withoutBob), /bob/);
    // ... but Dave may demote himself (once: afterwards he cannot send power levels).
    expectAllowed(change({ ...users, [DAVE]: 0 }));
    // Nor may he raise himself.
    expectRejected(change({ ...users, [DAVE]: 51 }), /dave/);
  });

  it('v12: 10.4 creators may not be listed in users', () => {
    const room = TestRoom.standard('12', { createContent: { additional_creators: [BOB] }, joined: [BOB] });
    expectRejected(room.check(room.powerLevels(ALICE, { users: { [ALICE]: 100 } })), /creator/);
    expectRejected(room.check(room.powerLevels(ALICE, { users: { [BOB]: 100 } })), /creator/);
    expectAllowed(room.check(room.powerLevels(ALICE, { users: { [DAVE]: 100 } })));
    // A creator may set any level at all.
    expectAllowed(room.check(room.powerLevels(BOB, { users: { [DAVE]: 9_000_000 }, ban: 9_000_000 })));
  });

  it('v12: 10.4 applies to the first power levels event too', () => {
    const room = new TestRoom('12').creatorJoins();
    expectRejected(room.check(room.powerLevels(ALICE, { users: { [ALICE]: 100 } })), /creator/);
  });

  it('v11 for contrast: listing the creator is how it gets power', () => {
    const room = new TestRoom('11').creatorJoins();
    expectAllowed(room.check(room.powerLevels(ALICE, { users: { [ALICE]: 100 } })));
  });

  it('a malformed power levels event in state fails the checks that read it', () => {
    const room = TestRoom.standard('10', { joined: [DAVE] });
    room.put(room.powerLevels(ALICE, { users: { [ALICE]: '100' } }));
    expectRejected(room.check(room.message(DAVE)), /current power levels/);
    // A self-leave needs no levels.
    expectAllowed(room.check(room.member(DAVE, 'leave')));
  });
});
