import { expect } from 'vitest';
import { stateTupleKey, type RoomEvent, type StateTupleKey } from '../../src/core/events/room-event.js';
import type { JsonObject } from '../../src/core/json.js';
import { requireRoomVersion, type RoomVersion } from '../../src/core/room-versions.js';
import { checkAuthRules, type AuthResult, type AuthStateLookup } from '../../src/core/auth/index.js';

/**
 * A tiny room simulator for the auth-rule tests: it builds normalized RoomEvents with plausible
 * IDs for the version, keeps a state map, and lets a test either force state (setup) or insist
 * that an event passes the rules before it enters state (so setups are themselves checked).
 */

export const ALICE = '@alice:a.test';
export const BOB = '@bob:b.test';
export const CAROL = '@carol:c.test';
export const DAVE = '@dave:a.test';

export const ALL_VERSIONS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'] as const;

export interface EventSpec {
  type: string;
  sender: string;
  content?: JsonObject;
  state_key?: string;
  prev_events?: string[];
  auth_events?: string[];
  redacts?: string;
  event_id?: string;
  room_id?: string;
}

export interface RoomOptions {
  creator?: string;
  /** Extra create content (e.g. additional_creators, m.federate). */
  createContent?: JsonObject;
}

export class TestRoom {
  readonly version: RoomVersion;
  readonly create: RoomEvent;
  readonly roomId: string;
  private readonly state = new Map<StateTupleKey, RoomEvent>();
  private counter = 0;
  private last: string;

  constructor(versionId: string, options: RoomOptions = {}) {
    this.version = requireRoomVersion(versionId);
    const creator = options.creator ?? ALICE;
    const content: JsonObject = { room_version: versionId, ...options.createContent };
    // Pre-v11 create events name the creator in content; v11+ use the sender.
    if (!this.version.creatorIsSender && !Object.hasOwn(content, 'creator')) content.creator = creator;
    const createId = this.version.roomIdFromCreateEvent ? '$createhash' + versionId : this.eventId(creator);
    this.roomId = this.version.roomIdFromCreateEvent ? '!' + createId.slice(1) : `!room:${creator.split(':')[1]}`;
    this.create = {
      event_id: createId,
      room_id: this.roomId,
      type: 'm.room.create',
      state_key: '',
      sender: creator,
      content,
      prev_events: [],
      auth_events: [],
      origin_server_ts: 1,
      depth: 1,
    };
    this.last = createId;
    this.put(this.create);
  }

  /** An event ID in the version's shape: `$n:domain` for v1/v2 (domain of `origin`), opaque after. */
  eventId(origin: string): string {
    this.counter += 1;
    return this.version.eventRefsArePairs ? `$e${this.counter}:${origin.split(':')[1]}` : `$e${this.counter}`;
  }

  event(spec: EventSpec): RoomEvent {
    const event: RoomEvent = {
      event_id: spec.event_id ?? this.eventId(spec.sender),
      room_id: spec.room_id ?? this.roomId,
      type: spec.type,
      sender: spec.sender,
      content: spec.content ?? {},
      prev_events: spec.prev_events ?? [this.last],
      auth_events: spec.auth_events ?? [],
      origin_server_ts: 1000 + this.counter,
      depth: 2 + this.counter,
      ...(spec.state_key !== undefined ? { state_key: spec.state_key } : {}),
      ...(spec.redacts !== undefined ? { redacts: spec.redacts } : {}),
    };
    return event;
  }

  member(sender: string, membership: string, target = sender, extra: JsonObject = {}): RoomEvent {
    return this.event({ type: 'm.room.member', sender, state_key: target, content: { membership, ...extra } });
  }

  powerLevels(sender: string, content: JsonObject): RoomEvent {
    return this.event({ type: 'm.room.power_levels', sender, state_key: '', content });
  }

  joinRules(sender: string, joinRule: string, extra: JsonObject = {}): RoomEvent {
    return this.event({ type: 'm.room.join_rules', sender, state_key: '', content: { join_rule: joinRule, ...extra } });
  }

  message(sender: string, content: JsonObject = { msgtype: 'm.text', body: 'hi' }): RoomEvent {
    return this.event({ type: 'm.room.message', sender, content });
  }

  lookup: AuthStateLookup = (type, stateKey) => this.state.get(stateTupleKey(type, stateKey));

  check(event: RoomEvent): AuthResult {
    return checkAuthRules(this.version, event, this.lookup);
  }

  /** Puts an event into state without checking it (for states the rules could not build directly). */
  put(event: RoomEvent): RoomEvent {
    if (event.state_key !== undefined) this.state.set(stateTupleKey(event.type, event.state_key), event);
    this.last = event.event_id;
    return event;
  }

  /** Checks the event against the current state, fails the test if it is rejected, then applies it. */
  accept(event: RoomEvent): RoomEvent {
    expectAllowed(this.check(event));
    return this.put(event);
  }

  /** The creator joins right after the create event. */
  creatorJoins(): this {
    this.accept(this.member(this.create.sender, 'join'));
    return this;
  }

  /** Pre-v12: creator at 100 in users; v12: creators are implicit. */
  defaultPowerLevels(overrides: JsonObject = {}): JsonObject {
    const users: JsonObject = this.version.privilegedCreators ? {} : { [this.create.sender]: 100 };
    const extraUsers = overrides.users;
    const merged: JsonObject = { ...overrides };
    merged.users = { ...users, ...(typeof extraUsers === 'object' && extraUsers !== null && !Array.isArray(extraUsers) ? extraUsers : {}) };
    return merged;
  }

  /**
   * A typical room: creator joined, power levels (creator 100 before v12, plus `users`), the
   * given join rule, and each of `joined` invited-then-joined (or just joined when public).
   */
  static standard(versionId: string, options: RoomOptions & { joinRule?: string; users?: JsonObject; joined?: string[]; levels?: JsonObject } = {}): TestRoom {
    const room = new TestRoom(versionId, options).creatorJoins();
    const creator = room.create.sender;
    room.accept(room.powerLevels(creator, room.defaultPowerLevels({ ...options.levels, users: options.users ?? {} })));
    room.accept(room.joinRules(creator, options.joinRule ?? 'public'));
    for (const user of options.joined ?? []) room.forceMembership(user, 'join');
    return room;
  }

  /** Sets a membership directly (setup shortcut). */
  forceMembership(user: string, membership: string, sender = user): RoomEvent {
    return this.put(this.member(sender, membership, user));
  }
}

export function expectAllowed(result: AuthResult): void {
  expect(result, result.allowed ? 'allowed' : `rejected: ${result.reason}`).toEqual({ allowed: true });
}

export function expectRejected(result: AuthResult, reason?: RegExp): void {
  expect(result.allowed, 'expected the event to be rejected').toBe(false);
  if (!result.allowed && reason) expect(result.reason).toMatch(reason);
}
