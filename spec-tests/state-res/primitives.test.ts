import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareEventIds } from '../../src/core/state-res/order.js';
import { lexicographicalTopologicalSort, senderPowerLevel } from '../../src/core/state-res/power-sort.js';
import type { JsonObject } from '../../src/core/json.js';
import { TestRoom } from './helpers.js';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const primitivesPath = path.resolve(projectRoot, '..', 'shared', 'spec', 'state-res', 'primitives.json');

interface Primitives {
  lexicographical_topological_sort: Array<{ graph: Record<string, string[]>; expected: string[] }>;
  power_level_for_sender: Array<{
    room_versions: string[];
    create: { sender: string; content_v10: JsonObject; content_v11: JsonObject };
    power_levels_content: JsonObject;
    with_power_levels_in_auth_events: Record<string, number>;
    when_power_levels_event_unavailable_only_create_found: Record<string, number>;
  }>;
}

const primitives = JSON.parse(readFileSync(primitivesPath, 'utf8')) as Primitives;

describe('primitives.json', () => {
  it('has both cases', () => {
    expect(primitives.lexicographical_topological_sort.length).toBeGreaterThan(0);
    expect(primitives.power_level_for_sender.length).toBeGreaterThan(0);
  });

  for (const [i, testCase] of primitives.lexicographical_topological_sort.entries()) {
    it(`lexicographical topological sort #${i}`, () => {
      const graph = new Map(Object.entries(testCase.graph));
      expect(lexicographicalTopologicalSort(graph, compareEventIds)).toEqual(testCase.expected);
    });
  }

  for (const [i, testCase] of primitives.power_level_for_sender.entries()) {
    for (const versionId of testCase.room_versions) {
      it(`sender power level #${i}, room version ${versionId}`, () => {
        const room = new TestRoom(versionId);
        const createContent = Number(versionId) >= 11 ? testCase.create.content_v11 : testCase.create.content_v10;
        room.add({ id: '$create', type: 'm.room.create', stateKey: '', sender: testCase.create.sender, content: createContent });
        room.add({ id: '$pl', type: 'm.room.power_levels', stateKey: '', sender: testCase.create.sender, content: testCase.power_levels_content, auth: ['$create'] });
        const graph = room.graph();
        const users = Object.keys(testCase.with_power_levels_in_auth_events);
        for (const user of users) {
          room.add({ id: `$with-${user}`, type: 'm.room.topic', stateKey: '', sender: user, auth: ['$create', '$pl'] });
          room.add({ id: `$without-${user}`, type: 'm.room.topic', stateKey: '', sender: user, auth: ['$create'] });
        }
        for (const user of users) {
          expect(senderPowerLevel(graph, `$with-${user}`)).toBe(testCase.with_power_levels_in_auth_events[user]);
          expect(senderPowerLevel(graph, `$without-${user}`)).toBe(testCase.when_power_levels_event_unavailable_only_create_found[user]);
          // The memoised path (parsed power levels shared across events) agrees.
          expect(senderPowerLevel(graph, `$with-${user}`, new Map())).toBe(testCase.with_power_levels_in_auth_events[user]);
        }
      });
    }
  }
});
