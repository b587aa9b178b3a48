import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStateResFixture } from '../../src/cli/state-res-fixture.js';
import { ProtocolError } from '../../src/core/errors.js';
import type { JsonValue } from '../../src/core/json.js';
import { resolveDag, StateDagError } from '../../src/core/state-res/index.js';
import { ALICE, bootstrap, CAROL, key, plain, TestRoom } from './helpers.js';

const TOPIC = key('m.room.topic', '');

describe('resolveDag', () => {
  it('walks a linear history: state events replace their key, messages change nothing', () => {
    const r = new TestRoom('10');
    bootstrap(r);
    r.add({ id: '$t1', type: 'm.room.topic', stateKey: '', sender: ALICE, content: {}, auth: ['$create', '$pl0', '$join-alice'], prev: ['$join-bob'], depth: 6 });
    r.add({ id: '$msg', type: 'm.room.message', sender: ALICE, content: {}, auth: ['$create', '$pl0', '$join-alice'], prev: ['$t1'], depth: 7 });
    r.add({ id: '$t2', type: 'm.room.topic', stateKey: '', sender: ALICE, content: {}, auth: ['$create', '$pl0', '$join-alice'], prev: ['$msg'], depth: 8 });
    const resolved = resolveDag(r.version, [...r.events.values()]);
    expect(resolved.get(TOPIC)).toBe('$t2');
    expect(resolved.size).toBe(6);
  });

  it('keeps sibling branches apart and resolves them where they meet', () => {
    // Carol (never joined) sets a topic on one branch. Had the branches shared one map, both
    // sides would agree on it and it would pass unconflicted; resolved properly it fails auth.
    const r = new TestRoom('10');
    bootstrap(r);
    r.add({ id: '$bad-topic', type: 'm.room.topic', stateKey: '', sender: CAROL, content: {}, auth: ['$create', '$pl0'], prev: ['$join-bob'], depth: 6 });
    r.add({ id: '$name', type: 'm.room.name', stateKey: '', sender: ALICE, content: {}, auth: ['$create', '$pl0', '$join-alice'], prev: ['$join-bob'], depth: 6 });
    r.add({ id: '$merge', type: 'm.room.message', sender: ALICE, content: {}, auth: ['$create', '$pl0', '$join-alice'], prev: ['$bad-topic', '$name'], depth: 7 });
    const events = [...r.events.values()];
    const resolved = resolveDag(r.version, events);
    expect(resolved.has(TOPIC)).toBe(false);
    expect(resolved.get(key('m.room.name', ''))).toBe('$name');
    // Same answer with the two branches as forward extremities (no merge event).
    const unmerged = resolveDag(r.version, events.filter((e) => e.event_id !== '$merge'));
    expect(plain(unmerged)).toEqual(plain(resolved));
  });

  it('ignores prev events outside the list', () => {
    const r = new TestRoom('10');
    bootstrap(r);
    const later = r.add({ id: '$t', type: 'm.room.topic', stateKey: '', sender: ALICE, content: {}, auth: ['$create', '$pl0', '$join-alice'], prev: ['$elsewhere'] });
    expect(plain(resolveDag(r.version, [later]))).toEqual({ [TOPIC]: '$t' });
  });

  it('rejects unusable input with a ProtocolError', () => {
    const r = new TestRoom('10');
    const a = r.add({ id: '$a', type: 'm.room.topic', stateKey: '', sender: ALICE, prev: ['$b'] });
    const b = r.add({ id: '$b', type: 'm.room.topic', stateKey: '', sender: ALICE, prev: ['$a'] });
    expect(() => resolveDag(r.version, [])).toThrow(StateDagError);
    expect(() => resolveDag(r.version, [a, a])).toThrow(/duplicate/);
    expect(() => resolveDag(r.version, [a, b])).toThrow(/cycle/);
    expect(() => resolveDag(r.version, [a, b])).toThrow(ProtocolError);
  });

  it('gives every DAG fixture’s answer whatever order the events come in', () => {
    const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
    const dir = path.resolve(projectRoot, '..', 'shared', 'spec', 'state-res');
    const fixtures = readdirSync(dir)
      .filter((name) => name.endsWith('.json') && name !== 'primitives.json')
      .map((name) => parseStateResFixture(JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as JsonValue))
      .filter((fixture) => fixture.kind === 'dag');
    expect(fixtures.length).toBeGreaterThan(0);
    for (const fixture of fixtures) {
      const expected = plain(fixture.expectedState!);
      fc.assert(
        fc.property(fc.shuffledSubarray(fixture.events, { minLength: fixture.events.length }), (events) => {
          expect(plain(resolveDag(fixture.roomVersion, events))).toEqual(expected);
        }),
        { numRuns: 20 },
      );
    }
  });
});
