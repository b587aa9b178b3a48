import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseStateResFixture } from '../../src/cli/state-res-fixture.js';
import type { JsonValue } from '../../src/core/json.js';
import { AuthGraph, eventSourceOf, resolveState } from '../../src/core/state-res/index.js';
import { iterativeAuthChecks } from '../../src/core/state-res/iterative-auth-checks.js';
import { fullConflictedSet } from '../../src/core/state-res/v2.js';
import { ALICE, BOB, BOOTSTRAP_STATE, bootstrap, CAROL, key, plain, TestRoom } from './helpers.js';

const TOPIC = key('m.room.topic', '');
const PL = key('m.room.power_levels', '');

describe('iterative auth checks', () => {
  function room(): TestRoom {
    const r = new TestRoom('10');
    bootstrap(r);
    r.add({ id: '$leave-alice', type: 'm.room.member', stateKey: ALICE, sender: ALICE, content: { membership: 'leave' }, auth: ['$create', '$pl0', '$join-alice'] });
    r.add({ id: '$topic-carol', type: 'm.room.topic', stateKey: '', sender: CAROL, content: {}, auth: ['$create', '$pl0'] });
    r.add({ id: '$pl-bob-self', type: 'm.room.power_levels', stateKey: '', sender: BOB, content: { users: { [ALICE]: 100, [BOB]: 100 } }, auth: ['$create', '$pl0', '$join-bob'] });
    r.add({ id: '$topic-bob', type: 'm.room.topic', stateKey: '', sender: BOB, content: {}, auth: ['$create', '$pl0', '$join-bob'] });
    r.add({ id: '$topic-alice', type: 'm.room.topic', stateKey: '', sender: ALICE, content: {}, auth: ['$create', '$pl0', '$join-alice'] });
    r.add({ id: '$message', type: 'm.room.message', sender: ALICE, content: {}, auth: ['$create', '$pl0', '$join-alice'] });
    return r;
  }

  it('applies allowed events in order and skips the rest (and non-state events)', () => {
    const r = room();
    const base = r.state(...BOOTSTRAP_STATE);
    const out = iterativeAuthChecks(r.graph(), ['$topic-carol', '$pl-bob-self', '$topic-bob', '$message'], base);
    expect(out.get(TOPIC)).toBe('$topic-bob');
    expect(out.get(PL)).toBe('$pl0');
    expect(out.size).toBe(base.size + 1);
    expect(base.has(TOPIC)).toBe(false); // the input is not modified
  });

  it('falls back to the event’s own auth events for keys the state lacks', () => {
    const r = room();
    expect(iterativeAuthChecks(r.graph(), ['$topic-alice'], new Map()).get(TOPIC)).toBe('$topic-alice');
  });

  it('prefers the state over the auth events for the selected keys', () => {
    const r = room();
    const base = r.state('$create', '$pl0', '$leave-alice');
    expect(iterativeAuthChecks(r.graph(), ['$topic-alice'], base).has(TOPIC)).toBe(false);
  });

  it('never uses rejected events as auth events', () => {
    const r = room();
    const graph = new AuthGraph(r.version, r.source, { isRejected: (id) => id === '$join-alice' });
    expect(iterativeAuthChecks(graph, ['$topic-alice'], new Map()).has(TOPIC)).toBe(false);
    // From the state as well: with alice's join rejected, nothing says she is joined.
    expect(iterativeAuthChecks(graph, ['$topic-alice'], r.state(...BOOTSTRAP_STATE)).has(TOPIC)).toBe(false);
  });

  it('v12: the create event comes from the room ID', () => {
    const r = new TestRoom('12', '!create');
    r.add({ id: '$create', type: 'm.room.create', stateKey: '', sender: ALICE, content: { room_version: '12' } });
    r.add({ id: '$join', type: 'm.room.member', stateKey: ALICE, sender: ALICE, content: { membership: 'join' }, prev: ['$create'] });
    r.add({ id: '$topic', type: 'm.room.topic', stateKey: '', sender: ALICE, content: {}, auth: ['$join'] });
    expect(plain(iterativeAuthChecks(r.graph(), ['$join', '$topic'], new Map()))).toEqual({
      [key('m.room.member', ALICE)]: '$join',
      [TOPIC]: '$topic',
    });
  });
});

describe('state res v2 vs v2.1', () => {
  const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
  const load = (name: string) =>
    parseStateResFixture(JSON.parse(readFileSync(path.resolve(projectRoot, '..', 'shared', 'spec', 'state-res', name), 'utf8')) as JsonValue);

  it('v2.1 adds the conflicted state subgraph to the full conflicted set; v2 does not', () => {
    const v21 = load('ruma-msc4297-problem-b-state-res-v2-1.json');
    const v20 = load('ruma-msc4297-problem-b-state-res-v2-0.json');
    const full21 = fullConflictedSet(new AuthGraph(v21.roomVersion, eventSourceOf(v21.events)), v21.stateSets).events;
    const full20 = fullConflictedSet(new AuthGraph(v20.roomVersion, eventSourceOf(v20.events)), v20.stateSets).events;
    expect(full21.has('$01-m-room-power_levels')).toBe(true);
    expect(full20.has('$01-m-room-power_levels')).toBe(false);
    // Both hold the conflicted events themselves.
    for (const full of [full20, full21]) {
      expect(full.has('$00-m-room-power_levels')).toBe(true);
      expect(full.has('$02-m-room-power_levels')).toBe(true);
    }
  });

  it('replays the auth difference: a promotion only one fork’s auth chain holds', () => {
    // Fork A: alice makes bob 100 ($pl1), then bob makes carol 50 ($pl2, citing $pl1). Fork B keeps
    // $pl0. $pl1 is in no state set, only in fork A's auth chain; without replaying it bob is still
    // 50 when $pl2 is checked and cannot keep himself at 100, so $pl2 would be lost.
    const r = new TestRoom('10');
    bootstrap(r);
    r.add({ id: '$pl1', type: 'm.room.power_levels', stateKey: '', sender: ALICE, content: { users: { [ALICE]: 100, [BOB]: 100 } }, auth: ['$create', '$pl0', '$join-alice'], ts: 10 });
    r.add({ id: '$pl2', type: 'm.room.power_levels', stateKey: '', sender: BOB, content: { users: { [ALICE]: 100, [BOB]: 100, [CAROL]: 50 } }, auth: ['$create', '$pl1', '$join-bob'], ts: 11 });
    const base = BOOTSTRAP_STATE.filter((id) => id !== '$pl0');
    const sets = [r.state(...base, '$pl2'), r.state(...base, '$pl0')];
    expect(fullConflictedSet(r.graph(), sets).events).toEqual(new Set(['$pl0', '$pl1', '$pl2']));
    expect(resolveState(r.version, sets, r.source).get(PL)).toBe('$pl2');
  });

  it('does not depend on the order of the state sets', () => {
    for (const name of ['ruma-msc4297-problem-a-state-res-v2-1.json', 'ruma-msc4297-problem-b-state-res-v2-0.json']) {
      const fixture = load(name);
      const source = eventSourceOf(fixture.events);
      const forward = resolveState(fixture.roomVersion, fixture.stateSets, source);
      const backward = resolveState(fixture.roomVersion, [...fixture.stateSets].reverse(), source);
      expect(plain(backward)).toEqual(plain(forward));
    }
  });

  it('skips events it cannot fetch instead of failing', () => {
    const r = new TestRoom('10');
    bootstrap(r);
    r.add({ id: '$topic', type: 'm.room.topic', stateKey: '', sender: ALICE, content: {}, auth: ['$create', '$pl0', '$join-alice', '$gone'] });
    const sets = [r.state(...BOOTSTRAP_STATE, '$topic'), new Map([...r.state(...BOOTSTRAP_STATE), [TOPIC, '$unknown-topic']])];
    const resolved = resolveState(r.version, sets, r.source);
    expect(resolved.get(TOPIC)).toBe('$topic');
  });

  it('returns the only state set, or nothing for none', () => {
    const r = new TestRoom('10');
    bootstrap(r);
    const only = r.state(...BOOTSTRAP_STATE);
    expect(plain(resolveState(r.version, [only], r.source))).toEqual(plain(only));
    expect(resolveState(r.version, [], r.source).size).toBe(0);
  });
});

describe('room version 1 (state res v1)', () => {
  function v1Room(): TestRoom {
    const r = new TestRoom('1');
    bootstrap(r, { [ALICE]: 100, [BOB]: 50, [CAROL]: 10 });
    return r;
  }
  const pl = (r: TestRoom, id: string, sender: string, users: Record<string, number>, depth: number, auth: string[]) =>
    r.add({ id, type: 'm.room.power_levels', stateKey: '', sender, content: { users }, auth, depth });

  it('power levels: starts from the lowest depth and keeps stepping while the next one is allowed', () => {
    const r = v1Room();
    pl(r, '$pl-a', ALICE, { [ALICE]: 100, [BOB]: 50, [CAROL]: 20 }, 6, ['$create', '$pl0', '$join-alice']);
    pl(r, '$pl-b', BOB, { [ALICE]: 100, [BOB]: 50, [CAROL]: 30 }, 7, ['$create', '$pl0', '$join-bob']);
    const resolved = resolveState(r.version, [r.state(...BOOTSTRAP_STATE, '$pl-a'), r.state(...BOOTSTRAP_STATE, '$pl-b')], r.source);
    expect(resolved.get(PL)).toBe('$pl-b');
  });

  it('power levels: stops at the first one not allowed', () => {
    const r = v1Room();
    pl(r, '$pl-a', ALICE, { [ALICE]: 100, [BOB]: 50, [CAROL]: 20 }, 6, ['$create', '$pl0', '$join-alice']);
    pl(r, '$pl-b', BOB, { [ALICE]: 100, [BOB]: 100 }, 7, ['$create', '$pl0', '$join-bob']); // bob cannot raise himself
    const resolved = resolveState(r.version, [r.state(...BOOTSTRAP_STATE, '$pl-a'), r.state(...BOOTSTRAP_STATE, '$pl-b')], r.source);
    expect(resolved.get(PL)).toBe('$pl-a');
  });

  it('power levels: the lowest-depth event goes in unchecked (the v1 flaw v2 fixed)', () => {
    const r = v1Room();
    pl(r, '$pl-bad', BOB, { [ALICE]: 100, [BOB]: 100 }, 6, ['$create', '$pl0', '$join-bob']);
    pl(r, '$pl-good', ALICE, { [ALICE]: 100, [BOB]: 50 }, 7, ['$create', '$pl0', '$join-alice']);
    const sets = [r.state(...BOOTSTRAP_STATE, '$pl-bad'), r.state(...BOOTSTRAP_STATE, '$pl-good')];
    // Alice cannot demote bob from the 100 $pl-bad gave him, so $pl-bad stays.
    expect(resolveState(r.version, sets, r.source).get(PL)).toBe('$pl-bad');
    // Room version 2's algorithm checks bob's event against the auth rules and drops it.
    const r2 = new TestRoom('2');
    for (const event of r.events.values()) r2.events.set(event.event_id, event);
    expect(resolveState(r2.version, sets, r2.source).get(PL)).toBe('$pl-good');
  });

  it('other keys: the highest depth that passes the auth rules', () => {
    const r = v1Room();
    r.add({ id: '$t-high', type: 'm.room.topic', stateKey: '', sender: CAROL, content: {}, auth: ['$create', '$pl0'], depth: 9 }); // carol is not joined
    r.add({ id: '$t-mid', type: 'm.room.topic', stateKey: '', sender: BOB, content: {}, auth: ['$create', '$pl0', '$join-bob'], depth: 8 });
    r.add({ id: '$t-low', type: 'm.room.topic', stateKey: '', sender: ALICE, content: {}, auth: ['$create', '$pl0', '$join-alice'], depth: 7 });
    const sets = ['$t-high', '$t-mid', '$t-low'].map((t) => r.state(...BOOTSTRAP_STATE, t));
    expect(resolveState(r.version, sets, r.source).get(TOPIC)).toBe('$t-mid');
  });

  it('other keys: equal depth goes to the lowest sha1(event_id); all failing gives the last in order', () => {
    const r = v1Room();
    // sha1: $t-y 9aed6c…, $t-z d010bd…, $t-x dd515c… (ID order would pick $t-x).
    for (const id of ['$t-x', '$t-y', '$t-z']) {
      r.add({ id, type: 'm.room.topic', stateKey: '', sender: BOB, content: {}, auth: ['$create', '$pl0', '$join-bob'], depth: 8 });
    }
    const sets = ['$t-x', '$t-y', '$t-z'].map((t) => r.state(...BOOTSTRAP_STATE, t));
    expect(resolveState(r.version, sets, r.source).get(TOPIC)).toBe('$t-y');

    const r2 = v1Room();
    for (const [id, depth] of [['$u-1', 8], ['$u-2', 3], ['$u-3', 5]] as const) {
      r2.add({ id, type: 'm.room.topic', stateKey: '', sender: CAROL, content: {}, auth: ['$create', '$pl0'], depth });
    }
    const failing = ['$u-1', '$u-2', '$u-3'].map((t) => r2.state(...BOOTSTRAP_STATE, t));
    expect(resolveState(r2.version, failing, r2.source).get(TOPIC)).toBe('$u-2');
  });

  it('a key only some sets have is not a conflict in v1 (it is in v2)', () => {
    const r = v1Room();
    r.add({ id: '$t-carol', type: 'm.room.topic', stateKey: '', sender: CAROL, content: {}, auth: ['$create', '$pl0'], depth: 6 });
    const sets = [r.state(...BOOTSTRAP_STATE, '$t-carol'), r.state(...BOOTSTRAP_STATE)];
    expect(resolveState(r.version, sets, r.source).get(TOPIC)).toBe('$t-carol');
    const r2 = new TestRoom('2');
    for (const event of r.events.values()) r2.events.set(event.event_id, event);
    expect(resolveState(r2.version, sets, r2.source).has(TOPIC)).toBe(false);
  });

  it('memberships are resolved after power levels and join rules, against them', () => {
    // Bob is banned by alice (depth 7) on one side; on the other he changes his name (depth 8).
    // Ordered by depth, the ban goes in first; bob's later name change (a join) then fails as he
    // is banned, so the ban stands although it has the lower depth.
    const r = v1Room();
    r.add({ id: '$ban-bob', type: 'm.room.member', stateKey: BOB, sender: ALICE, content: { membership: 'ban' }, auth: ['$create', '$pl0', '$join-alice', '$join-bob'], depth: 7 });
    r.add({ id: '$rename-bob', type: 'm.room.member', stateKey: BOB, sender: BOB, content: { membership: 'join', displayname: 'B' }, auth: ['$create', '$pl0', '$jr0', '$join-bob'], depth: 8 });
    const base = BOOTSTRAP_STATE.filter((id) => id !== '$join-bob');
    const sets = [r.state(...base, '$ban-bob'), r.state(...base, '$rename-bob')];
    expect(resolveState(r.version, sets, r.source).get(key('m.room.member', BOB))).toBe('$ban-bob');
  });
});
