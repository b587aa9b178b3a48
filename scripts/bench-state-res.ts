import { performance } from 'node:perf_hooks';
import { stateTupleKey, type RoomEvent, type StateMap } from '../src/core/events/room-event.js';
import type { JsonObject } from '../src/core/json.js';
import { requireRoomVersion, type RoomVersion } from '../src/core/room-versions.js';
import { resolveState } from '../src/core/state-res/index.js';

/**
 * State resolution benchmark: a synthetic room with many members forks into two branches that
 * each change hundreds of state keys, and one resolveState call merges them.
 *
 * The room (valid under the auth rules): alice creates it (v12: creator, infinite power; earlier
 * versions: 100 in the power levels), bob and carol are moderators (50), join rules public, then
 * `members` users join. Fork A: alice changes the power levels, alice sets the topic, bob sets the
 * name and kicks a tenth of the budget's worth of users, the rest are users changing their display
 * names. Fork B: carol sets topic and name, bans as many other users, and other users (half of
 * them the same as fork A's) change their display names. Every side event is a conflicted state
 * entry, and kicks/bans/power levels go through the power ordering while the rest go through the
 * mainline ordering.
 */

export interface ForkedRoom {
  readonly version: RoomVersion;
  readonly events: ReadonlyMap<string, RoomEvent>;
  readonly stateSets: readonly [StateMap, StateMap];
  /** Users by what the forks did to them, for checking the resolution. */
  readonly kicked: readonly string[];
  readonly banned: readonly string[];
  readonly renamedOnA: readonly string[];
  readonly renamedOnB: readonly string[];
  /** Event IDs of interest. */
  readonly ids: { readonly pl1: string; readonly topicA: string; readonly topicB: string; readonly nameA: string; readonly nameB: string };
  /** user → event ID of their rename on each side. */
  readonly renameA: ReadonlyMap<string, string>;
  readonly renameB: ReadonlyMap<string, string>;
}

export function buildForkedRoom(members: number, conflictedPerSide: number, roomVersionId = '12'): ForkedRoom {
  const version = requireRoomVersion(roomVersionId);
  const v12 = version.roomIdFromCreateEvent;
  const roomId = v12 ? '!bench-create' : '!bench:example.org';
  const createId = v12 ? '$bench-create' : '$create';
  const events = new Map<string, RoomEvent>();
  const alice = '@alice:example.org';
  const bob = '@bob:example.org';
  const carol = '@carol:example.org';
  const user = (i: number): string => `@u${i}:example.org`;

  let depth = 0;
  let ts = 1_700_000_000_000;
  // From v12 the create event is implied by the room ID and never listed.
  const withCreate = (auth: string[]): string[] => (v12 ? auth : [createId, ...auth]);
  const add = (
    id: string,
    type: string,
    stateKey: string,
    sender: string,
    content: JsonObject,
    auth: string[],
    prev: string[],
  ): RoomEvent => {
    const event: RoomEvent = {
      event_id: id,
      room_id: roomId,
      type,
      state_key: stateKey,
      sender,
      content,
      prev_events: prev,
      auth_events: type === 'm.room.create' ? [] : withCreate(auth),
      origin_server_ts: ts++,
      depth: ++depth,
    };
    events.set(id, event);
    return event;
  };

  const base: StateMap = new Map();
  const put = (state: StateMap, event: RoomEvent): void => {
    state.set(stateTupleKey(event.type, event.state_key!), event.event_id);
  };

  put(base, add(createId, 'm.room.create', '', alice, v12 ? { room_version: version.id } : { creator: alice, room_version: version.id }, [], []));
  put(base, add('$join-alice', 'm.room.member', alice, alice, { membership: 'join' }, [], [createId]));
  const moderators: JsonObject = { [bob]: 50, [carol]: 50 };
  const users0: JsonObject = v12 ? moderators : { [alice]: 100, ...moderators };
  put(base, add('$pl0', 'm.room.power_levels', '', alice, { users: users0, users_default: 0, state_default: 50, kick: 50, ban: 50 }, ['$join-alice'], ['$join-alice']));
  put(base, add('$jr0', 'm.room.join_rules', '', alice, { join_rule: 'public' }, ['$join-alice', '$pl0'], ['$pl0']));
  let last = '$jr0';
  for (const [name, who] of [['bob', bob], ['carol', carol]] as const) {
    put(base, add(`$join-${name}`, 'm.room.member', who, who, { membership: 'join' }, ['$pl0', '$jr0'], [last]));
    last = `$join-${name}`;
  }
  for (let i = 0; i < members; i++) {
    put(base, add(`$join-u${i}`, 'm.room.member', user(i), user(i), { membership: 'join', displayname: `u${i}` }, ['$pl0', '$jr0'], [last]));
    last = `$join-u${i}`;
  }
  const forkPoint = last;

  const punished = Math.max(1, Math.floor(conflictedPerSide / 10));
  const renamesA = conflictedPerSide - 4 - punished;
  const renamesB = conflictedPerSide - 2 - punished;
  const firstRenameA = 2 * punished;
  const firstRenameB = firstRenameA + Math.floor(renamesA / 2);
  if (renamesA < 1 || firstRenameB + renamesB > members) {
    throw new RangeError(`${members} members are too few for ${conflictedPerSide} conflicted events per side`);
  }

  // Fork A.
  const stateA: StateMap = new Map(base);
  let prevA = forkPoint;
  const onA = (event: RoomEvent): void => {
    put(stateA, event);
    prevA = event.event_id;
  };
  const users1: JsonObject = { ...users0, [user(firstRenameA)]: 10 };
  onA(add('$a-pl1', 'm.room.power_levels', '', alice, { users: users1, users_default: 0, state_default: 50, kick: 50, ban: 50 }, ['$pl0', '$join-alice'], [prevA]));
  onA(add('$a-topic', 'm.room.topic', '', alice, { topic: 'A' }, ['$a-pl1', '$join-alice'], [prevA]));
  onA(add('$a-name', 'm.room.name', '', bob, { name: 'A' }, ['$a-pl1', '$join-bob'], [prevA]));
  // One more so fork A has exactly `conflictedPerSide` events: bob's own display name.
  onA(add('$a-bob-name', 'm.room.member', bob, bob, { membership: 'join', displayname: 'Bob A' }, ['$a-pl1', '$join-bob', '$jr0'], [prevA]));
  const kicked: string[] = [];
  for (let i = 0; i < punished; i++) {
    kicked.push(user(i));
    onA(add(`$a-kick-u${i}`, 'm.room.member', user(i), bob, { membership: 'leave' }, ['$a-pl1', '$join-bob', `$join-u${i}`], [prevA]));
  }
  const renameA = new Map<string, string>();
  for (let i = firstRenameA; i < firstRenameA + renamesA; i++) {
    const id = `$a-rename-u${i}`;
    renameA.set(user(i), id);
    onA(add(id, 'm.room.member', user(i), user(i), { membership: 'join', displayname: `u${i} (A)` }, ['$a-pl1', `$join-u${i}`, '$jr0'], [prevA]));
  }

  // Fork B, concurrent with A (its events cite only what precedes the fork).
  const stateB: StateMap = new Map(base);
  let prevB = forkPoint;
  const onB = (event: RoomEvent): void => {
    put(stateB, event);
    prevB = event.event_id;
  };
  onB(add('$b-topic', 'm.room.topic', '', carol, { topic: 'B' }, ['$pl0', '$join-carol'], [prevB]));
  onB(add('$b-name', 'm.room.name', '', carol, { name: 'B' }, ['$pl0', '$join-carol'], [prevB]));
  const banned: string[] = [];
  for (let i = punished; i < 2 * punished; i++) {
    banned.push(user(i));
    onB(add(`$b-ban-u${i}`, 'm.room.member', user(i), carol, { membership: 'ban' }, ['$pl0', '$join-carol', `$join-u${i}`], [prevB]));
  }
  const renameB = new Map<string, string>();
  for (let i = firstRenameB; i < firstRenameB + renamesB; i++) {
    const id = `$b-rename-u${i}`;
    renameB.set(user(i), id);
    onB(add(id, 'm.room.member', user(i), user(i), { membership: 'join', displayname: `u${i} (B)` }, ['$pl0', `$join-u${i}`, '$jr0'], [prevB]));
  }

  return {
    version,
    events,
    stateSets: [stateA, stateB],
    kicked,
    banned,
    renamedOnA: [...renameA.keys()],
    renamedOnB: [...renameB.keys()],
    ids: { pl1: '$a-pl1', topicA: '$a-topic', topicB: '$b-topic', nameA: '$a-name', nameB: '$b-name' },
    renameA,
    renameB,
  };
}

export function benchStateRes(
  options: { members?: number; conflictedPerSide?: number; roomVersion?: string } = {},
): { members: number; conflictedPerSide: number; ms: number } {
  const members = options.members ?? 10_000;
  const conflictedPerSide = options.conflictedPerSide ?? 500;
  const room = buildForkedRoom(members, conflictedPerSide, options.roomVersion);
  const source = (id: string): RoomEvent | undefined => room.events.get(id);
  const start = performance.now();
  const resolved = resolveState(room.version, room.stateSets, source);
  const ms = performance.now() - start;
  // A cheap sanity check so a broken resolution cannot post a good time.
  if (resolved.get(stateTupleKey('m.room.power_levels', '')) !== room.ids.pl1) {
    throw new Error('state resolution benchmark: unexpected power levels in the resolved state');
  }
  return { members, conflictedPerSide, ms: Math.round(ms * 10) / 10 };
}
