import { describe, expect, it } from 'vitest';
import { resolveState } from '../../src/core/state-res/index.js';
import { mainlineOf, mainlineSort } from '../../src/core/state-res/mainline-sort.js';
import { isPowerEvent, reverseTopologicalPowerSort } from '../../src/core/state-res/power-sort.js';
import { ALICE, BOB, BOOTSTRAP_STATE, bootstrap, CAROL, key, TestRoom } from './helpers.js';

describe('power events', () => {
  it('are power levels, join rules, create, and kicks/bans of someone else', () => {
    const room = new TestRoom('10');
    const ev = (id: string, type: string, stateKey: string, sender: string, membership?: string) =>
      room.add({ id, type, stateKey, sender, content: membership ? { membership } : {} });
    expect(isPowerEvent(ev('$1', 'm.room.power_levels', '', ALICE))).toBe(true);
    expect(isPowerEvent(ev('$2', 'm.room.join_rules', '', ALICE))).toBe(true);
    expect(isPowerEvent(ev('$3', 'm.room.create', '', ALICE))).toBe(true);
    expect(isPowerEvent(ev('$4', 'm.room.member', BOB, ALICE, 'leave'))).toBe(true);
    expect(isPowerEvent(ev('$5', 'm.room.member', BOB, ALICE, 'ban'))).toBe(true);
    expect(isPowerEvent(ev('$6', 'm.room.member', BOB, BOB, 'leave'))).toBe(false);
    expect(isPowerEvent(ev('$7', 'm.room.member', BOB, ALICE, 'invite'))).toBe(false);
    expect(isPowerEvent(ev('$8', 'm.room.topic', '', ALICE))).toBe(false);
    expect(isPowerEvent(ev('$9', 'm.room.power_levels', 'x', ALICE))).toBe(false);
  });
});

describe('reverse topological power ordering', () => {
  /**
   * Concurrent join rules changes by alice (100) and bob (50). Bob's has the earlier timestamp and
   * the smaller event ID, so only the sender power-level tie-break puts alice's first. Both pass
   * the auth rules, so the one applied last (bob's) is the resolved join rule; ordering by
   * timestamp or ID instead would make alice's win.
   */
  function joinRulesRace(): TestRoom {
    const room = new TestRoom('10');
    bootstrap(room);
    room.add({ id: '$z-alice-jr', type: 'm.room.join_rules', stateKey: '', sender: ALICE, content: { join_rule: 'invite' }, auth: ['$create', '$pl0', '$join-alice'], prev: ['$join-bob'], ts: 20, depth: 6 });
    room.add({ id: '$a-bob-jr', type: 'm.room.join_rules', stateKey: '', sender: BOB, content: { join_rule: 'knock' }, auth: ['$create', '$pl0', '$join-bob'], prev: ['$join-bob'], ts: 10, depth: 6 });
    return room;
  }

  it('puts the higher-powered sender first, before timestamp and event ID', () => {
    const room = joinRulesRace();
    const full = new Set(['$z-alice-jr', '$a-bob-jr']);
    expect(reverseTopologicalPowerSort(room.graph(), full, full)).toEqual(['$z-alice-jr', '$a-bob-jr']);
  });

  it('decides the resolved state through that tie-break', () => {
    const room = joinRulesRace();
    const base = BOOTSTRAP_STATE.filter((id) => id !== '$jr0');
    const resolved = resolveState(room.version, [room.state(...base, '$z-alice-jr'), room.state(...base, '$a-bob-jr')], room.source);
    expect(resolved.get(key('m.room.join_rules', ''))).toBe('$a-bob-jr');
    expect(resolved.size).toBe(BOOTSTRAP_STATE.length);
  });

  it('uses each event’s own auth events for the sender’s level, not the resolved state', () => {
    // Carol is 0 in $pl0 but 75 in $pl1; her event citing $pl1 outranks bob's (50) although it is
    // later, and her event citing $pl0 does not.
    const room = new TestRoom('10');
    bootstrap(room);
    room.add({ id: '$pl1', type: 'm.room.power_levels', stateKey: '', sender: ALICE, content: { users: { [ALICE]: 100, [BOB]: 50, [CAROL]: 75 } }, auth: ['$create', '$pl0', '$join-alice'] });
    room.add({ id: '$carol-new', type: 'm.room.join_rules', stateKey: '', sender: CAROL, content: {}, auth: ['$create', '$pl1'], ts: 30 });
    room.add({ id: '$carol-old', type: 'm.room.join_rules', stateKey: '', sender: CAROL, content: {}, auth: ['$create', '$pl0'], ts: 1 });
    room.add({ id: '$bob', type: 'm.room.join_rules', stateKey: '', sender: BOB, content: {}, auth: ['$create', '$pl0'], ts: 20 });
    const ids = ['$carol-new', '$carol-old', '$bob'];
    expect(reverseTopologicalPowerSort(room.graph(), ids, new Set(ids))).toEqual(['$carol-new', '$bob', '$carol-old']);
  });

  it('breaks equal power by timestamp, then by event ID (code point order)', () => {
    const room = new TestRoom('10');
    bootstrap(room);
    const add = (id: string, ts: number) => room.add({ id, type: 'm.room.join_rules', stateKey: '', sender: BOB, content: {}, auth: ['$create', '$pl0'], ts });
    add('$b', 5);
    add('$a', 5);
    add('$\u{1F600}', 5); // astral: after '\uFFFD' in code-point order, before it in UTF-16 order
    add('$\uFFFD', 5);
    add('$0', 6);
    const ids = ['$b', '$a', '$\u{1F600}', '$\uFFFD', '$0'];
    expect(reverseTopologicalPowerSort(room.graph(), ids, new Set(ids))).toEqual(['$a', '$b', '$\uFFFD', '$\u{1F600}', '$0']);
  });

  it('keeps auth events before the events citing them whatever their power, and pulls in conflicted ancestors', () => {
    // $pl1 (alice) is a conflicted auth ancestor of bob's $jr1; the topic between them is in the
    // full conflicted set too. $x (alice, earliest) is unrelated.
    const room = new TestRoom('10');
    bootstrap(room);
    room.add({ id: '$pl1', type: 'm.room.power_levels', stateKey: '', sender: BOB, content: {}, auth: ['$create', '$pl0', '$join-bob'], ts: 50 });
    room.add({ id: '$jr1', type: 'm.room.join_rules', stateKey: '', sender: ALICE, content: {}, auth: ['$create', '$pl1', '$join-alice'], ts: 1 });
    room.add({ id: '$x', type: 'm.room.join_rules', stateKey: '', sender: ALICE, content: {}, auth: ['$create', '$pl0', '$join-alice'], ts: 2 });
    const full = new Set(['$pl1', '$jr1', '$x']);
    // Only $jr1 and $x are handed in as power events; $pl1 joins as an ancestor in the set.
    expect(reverseTopologicalPowerSort(room.graph(), ['$jr1', '$x'], full)).toEqual(['$x', '$pl1', '$jr1']);
    // Ancestors outside the full conflicted set are not added.
    expect(reverseTopologicalPowerSort(room.graph(), ['$jr1'], new Set(['$jr1']))).toEqual(['$jr1']);
  });

  it('v12: creators outrank everyone, whatever the power levels say', () => {
    const room = new TestRoom('12', '!create');
    room.add({ id: '$create', type: 'm.room.create', stateKey: '', sender: ALICE, content: { room_version: '12', additional_creators: [CAROL] } });
    room.add({ id: '$pl', type: 'm.room.power_levels', stateKey: '', sender: ALICE, content: { users: { [BOB]: 100 } } });
    room.add({ id: '$bob', type: 'm.room.join_rules', stateKey: '', sender: BOB, content: {}, auth: ['$pl'], ts: 1 });
    room.add({ id: '$carol', type: 'm.room.join_rules', stateKey: '', sender: CAROL, content: {}, auth: ['$pl'], ts: 3 });
    room.add({ id: '$alice', type: 'm.room.join_rules', stateKey: '', sender: ALICE, content: {}, auth: ['$pl'], ts: 2 });
    const ids = ['$bob', '$carol', '$alice'];
    expect(reverseTopologicalPowerSort(room.graph(), ids, new Set(ids))).toEqual(['$alice', '$carol', '$bob']);
  });
});

describe('mainline ordering', () => {
  /** $pl0 ← $pl1 ← $pl2 is the mainline of $pl2; $side cites $pl0 but is not on it. */
  function mainlineRoom(): TestRoom {
    const room = new TestRoom('10');
    bootstrap(room);
    room.add({ id: '$pl1', type: 'm.room.power_levels', stateKey: '', sender: ALICE, content: {}, auth: ['$create', '$pl0', '$join-alice'] });
    room.add({ id: '$pl2', type: 'm.room.power_levels', stateKey: '', sender: ALICE, content: {}, auth: ['$create', '$pl1', '$join-alice'] });
    room.add({ id: '$side', type: 'm.room.power_levels', stateKey: '', sender: ALICE, content: {}, auth: ['$create', '$pl0', '$join-alice'] });
    room.add({ id: '$side2', type: 'm.room.power_levels', stateKey: '', sender: ALICE, content: {}, auth: ['$create', '$side', '$join-alice'] });
    const topic = (id: string, pl: string | undefined, ts: number) =>
      room.add({ id, type: 'm.room.topic', stateKey: '', sender: ALICE, content: {}, auth: pl ? ['$create', pl, '$join-alice'] : ['$create', '$join-alice'], ts });
    topic('$on-pl2', '$pl2', 1);
    topic('$on-pl1', '$pl1', 2);
    topic('$on-pl0', '$pl0', 3);
    topic('$on-side2', '$side2', 1); // side2 → side → pl0: position of $pl0
    topic('$no-pl', undefined, 9);
    topic('$on-pl0-b', '$pl0', 3);
    return room;
  }

  it('builds the mainline from the resolved power levels down its power-levels auth events', () => {
    const room = mainlineRoom();
    expect([...mainlineOf(room.graph(), '$pl2')]).toEqual([['$pl2', 0], ['$pl1', 1], ['$pl0', 2]]);
    expect(mainlineOf(room.graph(), undefined).size).toBe(0);
  });

  it('orders by mainline position (older first; no power-levels ancestor first of all), then timestamp, then ID', () => {
    const room = mainlineRoom();
    const ids = ['$on-pl2', '$on-pl1', '$on-pl0', '$on-side2', '$no-pl', '$on-pl0-b', '$unknown'];
    expect(mainlineSort(room.graph(), ids, '$pl2')).toEqual(['$no-pl', '$on-side2', '$on-pl0', '$on-pl0-b', '$on-pl1', '$on-pl2']);
  });

  it('puts everything at position ∞ when there is no resolved power levels event', () => {
    const room = mainlineRoom();
    expect(mainlineSort(room.graph(), ['$on-pl2', '$no-pl', '$on-pl1'], undefined)).toEqual(['$on-pl2', '$on-pl1', '$no-pl']);
  });

  it('an event with no power-levels ancestor sorts first in a real resolution, so it loses', () => {
    // Alice (creator, so 100 before any power levels) sets a topic citing no power levels; a
    // concurrent topic cites $pl0. The no-PL topic has the later timestamp and larger ID, so only
    // its mainline position ∞ puts it first; the $pl0 topic, applied after it, wins.
    const room = new TestRoom('10');
    bootstrap(room);
    room.add({ id: '$z-topic-no-pl', type: 'm.room.topic', stateKey: '', sender: ALICE, content: { topic: 'early' }, auth: ['$create', '$join-alice'], prev: ['$join-alice'], ts: 100, depth: 3 });
    room.add({ id: '$a-topic-pl0', type: 'm.room.topic', stateKey: '', sender: ALICE, content: { topic: 'late' }, auth: ['$create', '$pl0', '$join-alice'], prev: ['$join-bob'], ts: 5, depth: 6 });
    const resolved = resolveState(room.version, [room.state(...BOOTSTRAP_STATE, '$z-topic-no-pl'), room.state(...BOOTSTRAP_STATE, '$a-topic-pl0')], room.source);
    expect(resolved.get(key('m.room.topic', ''))).toBe('$a-topic-pl0');
    expect(mainlineSort(room.graph(), ['$a-topic-pl0', '$z-topic-no-pl'], '$pl0')).toEqual(['$z-topic-no-pl', '$a-topic-pl0']);
  });
});
