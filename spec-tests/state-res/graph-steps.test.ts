import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StateMap } from '../../src/core/events/room-event.js';
import { authChain, fullAuthChain, walkAuthAncestors } from '../../src/core/state-res/auth-chain.js';
import { authDifference } from '../../src/core/state-res/auth-difference.js';
import { conflictedSubgraph } from '../../src/core/state-res/conflicted-subgraph.js';
import { AuthGraph } from '../../src/core/state-res/graph.js';
import { separateState, separateStateV1 } from '../../src/core/state-res/separate.js';
import { key, plain, TestRoom } from './helpers.js';

/** A random auth DAG: node i cites some of the nodes before it. Keys come from a small pool. */
const randomDag = fc
  .integer({ min: 1, max: 18 })
  .chain((n) =>
    fc.tuple(
      fc.constant(n),
      fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: n, maxLength: n }),
      fc.array(fc.array(fc.nat(), { maxLength: 6 }), { minLength: 2, maxLength: 3 }),
    ),
  )
  .map(([n, authPicks, setPicks]) => {
    const room = new TestRoom('10');
    for (let i = 0; i < n; i++) {
      const auth = i === 0 ? [] : [...new Set(authPicks[i]!.map((p) => `$n${p % i}`))];
      room.add({ id: `$n${i}`, type: `k${i % 5}`, stateKey: '', sender: '@a:x', auth });
    }
    const stateSets: StateMap[] = setPicks.map((picks) => {
      const set: StateMap = new Map();
      for (const p of picks) set.set(key(`k${(p % n) % 5}`, ''), `$n${p % n}`);
      return set;
    });
    return { room, n, stateSets };
  });

function naiveAncestors(room: TestRoom, id: string): Set<string> {
  const out = new Set<string>();
  const todo = [...(room.events.get(id)?.auth_events ?? [])];
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (out.has(next)) continue;
    out.add(next);
    todo.push(...(room.events.get(next)?.auth_events ?? []));
  }
  return out;
}

describe('separate (unconflicted state map / conflicted state set)', () => {
  const a = new Map([[key('m.room.topic', ''), '$t1'], [key('m.room.name', ''), '$n1'], [key('m.room.member', '@a:x'), '$m1']]);
  const b = new Map([[key('m.room.topic', ''), '$t2'], [key('m.room.name', ''), '$n1']]);

  it('v2: a key missing from one set is conflicted', () => {
    const { unconflicted, conflicted } = separateState([a, b]);
    expect(plain(unconflicted)).toEqual({ [key('m.room.name', '')]: '$n1' });
    expect(conflicted.get(key('m.room.topic', ''))).toEqual(new Set(['$t1', '$t2']));
    expect(conflicted.get(key('m.room.member', '@a:x'))).toEqual(new Set(['$m1']));
    expect(conflicted.size).toBe(2);
  });

  it('v2: a key only the later sets have is conflicted too', () => {
    const { unconflicted, conflicted } = separateState([b, a]);
    expect(conflicted.get(key('m.room.member', '@a:x'))).toEqual(new Set(['$m1']));
    expect(unconflicted.size).toBe(1);
  });

  it('v1: only differing event IDs conflict', () => {
    const { unconflicted, conflicted } = separateStateV1([a, b]);
    expect(plain(unconflicted)).toEqual({ [key('m.room.name', '')]: '$n1', [key('m.room.member', '@a:x')]: '$m1' });
    expect([...conflicted.keys()]).toEqual([key('m.room.topic', '')]);
  });
});

describe('auth chains', () => {
  it('memoised chains equal a naive walk', () => {
    fc.assert(
      fc.property(randomDag, ({ room, n }) => {
        const graph = room.graph();
        for (let i = n - 1; i >= 0; i--) expect(authChain(graph, `$n${i}`)).toEqual(naiveAncestors(room, `$n${i}`));
      }),
    );
  });

  it('keeps unknown auth events by ID without following them', () => {
    const room = new TestRoom('10');
    room.add({ id: '$a', type: 't', stateKey: '', sender: '@a:x', auth: ['$b', '$missing'] });
    room.add({ id: '$b', type: 't', stateKey: '', sender: '@a:x', auth: ['$gone'] });
    const graph = room.graph();
    expect(authChain(graph, '$a')).toEqual(new Set(['$b', '$missing', '$gone']));
    expect(walkAuthAncestors(graph, ['$a'], { includeStarts: true })).toEqual(new Set(['$a', '$b', '$missing', '$gone']));
    expect(fullAuthChain(graph, ['$missing'])).toEqual(new Set());
  });

  it('terminates on an auth cycle (impossible for hashed events, possible in hostile input)', () => {
    const room = new TestRoom('10');
    room.add({ id: '$a', type: 't', stateKey: '', sender: '@a:x', auth: ['$b'] });
    room.add({ id: '$b', type: 't', stateKey: '', sender: '@a:x', auth: ['$a'] });
    const graph = room.graph();
    expect(authChain(graph, '$a').has('$b')).toBe(true);
    expect(walkAuthAncestors(graph, ['$a'])).toEqual(new Set(['$a', '$b']));
    expect(conflictedSubgraph(graph, ['$a', '$b'])).toEqual(new Set(['$a', '$b']));
  });

  it('v12: the create event named by the room ID is part of every auth chain', () => {
    const room = new TestRoom('12', '!c');
    room.add({ id: '$c', type: 'm.room.create', stateKey: '', sender: '@a:x' });
    room.add({ id: '$j', type: 'm.room.member', stateKey: '@a:x', sender: '@a:x', auth: [] });
    room.add({ id: '$t', type: 'm.room.topic', stateKey: '', sender: '@a:x', auth: ['$j'] });
    const graph = room.graph();
    expect(authChain(graph, '$t')).toEqual(new Set(['$j', '$c']));
    expect(authChain(graph, '$c')).toEqual(new Set());
  });
});

describe('auth difference', () => {
  it('equals ∪Cᵢ − ∩Cᵢ with each Cᵢ holding the set’s events and their auth chains', () => {
    fc.assert(
      fc.property(randomDag, ({ room, stateSets }) => {
        const chains = stateSets.map((set) => {
          const chain = new Set<string>();
          for (const id of set.values()) {
            chain.add(id);
            for (const a of naiveAncestors(room, id)) chain.add(a);
          }
          return chain;
        });
        const union = new Set(chains.flatMap((c) => [...c]));
        const expected = new Set([...union].filter((id) => !chains.every((c) => c.has(id))));
        expect(authDifference(room.graph(), stateSets)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('finds the events only one fork’s auth chains reach', () => {
    // $a ← $b ← $c (fork 1), $a ← $d (fork 2); each fork's state holds its tip under one key.
    const room = new TestRoom('10');
    room.add({ id: '$a', type: 'x', stateKey: '', sender: '@a:x' });
    room.add({ id: '$b', type: 'y', stateKey: '', sender: '@a:x', auth: ['$a'] });
    room.add({ id: '$c', type: 'z', stateKey: '', sender: '@a:x', auth: ['$b'] });
    room.add({ id: '$d', type: 'z', stateKey: '', sender: '@a:x', auth: ['$a'] });
    const difference = authDifference(room.graph(), [room.state('$a', '$c'), room.state('$a', '$d')]);
    expect(difference).toEqual(new Set(['$b', '$c', '$d']));
  });
});

describe('conflicted state subgraph (v2.1)', () => {
  it('holds exactly the events on auth paths between conflicted events', () => {
    fc.assert(
      fc.property(randomDag, fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), ({ room, n }, picks) => {
        const conflicted = [...new Set(picks.map((p) => `$n${p % n}`))];
        const reach = (id: string): Set<string> => new Set([id, ...naiveAncestors(room, id)]);
        const expected = new Set<string>();
        for (let i = 0; i < n; i++) {
          const id = `$n${i}`;
          const fromConflicted = conflicted.some((c) => reach(c).has(id));
          const toConflicted = conflicted.some((c) => reach(id).has(c));
          if (fromConflicted && toConflicted) expected.add(id);
        }
        expect(conflictedSubgraph(room.graph(), conflicted)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('brings in the events between an old and a new conflicted event (MSC4297 problem B shape)', () => {
    // pl0 ← pl1 ← pl2, plus an unrelated branch pl0 ← x. Conflicted: pl0 and pl2.
    const room = new TestRoom('12', '!c');
    room.add({ id: '$c', type: 'm.room.create', stateKey: '', sender: '@a:x' });
    room.add({ id: '$pl0', type: 'm.room.power_levels', stateKey: '', sender: '@a:x' });
    room.add({ id: '$pl1', type: 'm.room.power_levels', stateKey: '', sender: '@a:x', auth: ['$pl0'] });
    room.add({ id: '$pl2', type: 'm.room.power_levels', stateKey: '', sender: '@a:x', auth: ['$pl1'] });
    room.add({ id: '$x', type: 'm.room.topic', stateKey: '', sender: '@a:x', auth: ['$pl0'] });
    const graph = new AuthGraph(room.version, room.source);
    // The implied create event is below both but leads to no conflicted event: not included.
    expect(conflictedSubgraph(graph, ['$pl0', '$pl2'])).toEqual(new Set(['$pl0', '$pl1', '$pl2']));
    expect(conflictedSubgraph(graph, ['$x', '$pl2'])).toEqual(new Set(['$x', '$pl2']));
  });
});
