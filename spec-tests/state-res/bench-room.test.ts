import { describe, expect, it } from 'vitest';
import { benchStateRes, buildForkedRoom } from '../../scripts/bench-state-res.js';
import { stateTupleKey } from '../../src/core/events/room-event.js';
import { resolveState } from '../../src/core/state-res/index.js';

describe('the synthetic forked room of the state-res benchmark', () => {
  for (const roomVersion of ['10', '12']) {
    it(`resolves as the auth rules and orderings dictate (room version ${roomVersion})`, () => {
      const room = buildForkedRoom(400, 60, roomVersion);
      const [a, b] = room.stateSets;
      // Every fork event is a state entry of its side (so a conflicted one): 60 per side.
      expect([...a.values()].filter((id) => id.startsWith('$a-')).length).toBe(60);
      expect([...b.values()].filter((id) => id.startsWith('$b-')).length).toBe(60);

      const resolved = resolveState(room.version, room.stateSets, (id) => room.events.get(id));
      const member = (u: string) => resolved.get(stateTupleKey('m.room.member', u));
      expect(resolved.get(stateTupleKey('m.room.power_levels', ''))).toBe(room.ids.pl1);
      // Fork A's topic and name cite the newer power levels, so they sort after B's and win.
      expect(resolved.get(stateTupleKey('m.room.topic', ''))).toBe(room.ids.topicA);
      expect(resolved.get(stateTupleKey('m.room.name', ''))).toBe(room.ids.nameA);
      for (const u of room.kicked) expect(room.events.get(member(u)!)!.content.membership).toBe('leave');
      for (const u of room.banned) expect(room.events.get(member(u)!)!.content.membership).toBe('ban');
      for (const u of room.renamedOnA) expect(member(u)).toBe(room.renameA.get(u));
      for (const u of room.renamedOnB) if (!room.renameA.has(u)) expect(member(u)).toBe(room.renameB.get(u));
      // Untouched members stay joined with their original event.
      expect(member('@u399:example.org')).toBe('$join-u399');
      expect(resolved.size).toBe(a.size);
    });
  }

  it('benchStateRes reports its parameters and a time', () => {
    const result = benchStateRes({ members: 300, conflictedPerSide: 40 });
    expect(result.members).toBe(300);
    expect(result.conflictedPerSide).toBe(40);
    expect(result.ms).toBeGreaterThanOrEqual(0);
    expect(() => buildForkedRoom(10, 500)).toThrow(RangeError);
  });
});
