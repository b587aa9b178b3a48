import { describe, expect, it } from 'vitest';
import { checkAuthRules, creatorsOf } from '../../src/core/auth/index.js';
import type { RoomEvent } from '../../src/core/events/room-event.js';
import { requireRoomVersion } from '../../src/core/room-versions.js';
import { ALICE, ALL_VERSIONS, BOB, CAROL, TestRoom, expectAllowed, expectRejected } from './factory.js';

const noState = () => undefined;

function check(versionId: string, create: RoomEvent) {
  return checkAuthRules(requireRoomVersion(versionId), create, noState);
}

describe('rule 1: m.room.create', () => {
  it.each(ALL_VERSIONS)('v%s: a well-formed create event is allowed with no state at all', (v) => {
    expectAllowed(check(v, new TestRoom(v).create));
  });

  it.each(ALL_VERSIONS)('v%s: 1.1 a create event with prev_events is rejected', (v) => {
    const room = new TestRoom(v);
    expectRejected(check(v, { ...room.create, prev_events: ['$other'] }), /prev_events/);
  });

  it.each(['1', '6', '11'])('v%s: 1.2 room_id domain must match the sender domain', (v) => {
    const room = new TestRoom(v);
    expectRejected(check(v, { ...room.create, room_id: '!room:elsewhere.test' }), /domain/);
    expectRejected(check(v, { ...room.create, sender: BOB }), /domain/);
  });

  it('v12: 1.2 the room ID must be the one derived from the create event ID', () => {
    const room = new TestRoom('12');
    expect(room.create.room_id).toBe('!createhash12');
    expectRejected(check('12', { ...room.create, room_id: '!room:a.test' }), /derived/);
    // A v12 room needs no domain in its ID, and the sender's domain is irrelevant.
    expectAllowed(check('12', { ...room.create, sender: BOB }));
  });

  it.each(ALL_VERSIONS)('v%s: 1.3 an unrecognised content.room_version is rejected', (v) => {
    const room = new TestRoom(v);
    expectRejected(check(v, { ...room.create, content: { ...room.create.content, room_version: '999' } }), /room_version/);
    expectRejected(check(v, { ...room.create, content: { ...room.create.content, room_version: 12 } }), /room_version/);
  });

  it('1.3 an absent room_version (meaning v1) is fine', () => {
    expectAllowed(check('1', { ...new TestRoom('1').create, content: { creator: ALICE } }));
  });

  it.each(['1', '5', '10'])('v%s: 1.4 content.creator is required before v11', (v) => {
    const room = new TestRoom(v);
    expectRejected(check(v, { ...room.create, content: { room_version: v } }), /creator/);
  });

  it.each(['11', '12'])('v%s: content.creator is no longer required', (v) => {
    const room = new TestRoom(v);
    expect(Object.hasOwn(room.create.content, 'creator')).toBe(false);
    expectAllowed(check(v, room.create));
  });

  it('v12: 1.4 additional_creators must be an array of valid user IDs', () => {
    const good = new TestRoom('12', { createContent: { additional_creators: [BOB, CAROL] } }).create;
    expectAllowed(check('12', good));
    for (const bad of [BOB, [BOB, 'carol'], [BOB, 7], ['@carol'], ['@carol:bad host'], {}]) {
      expectRejected(check('12', { ...good, content: { ...good.content, additional_creators: bad } }), /additional_creators/);
    }
    // Historical localparts are still user IDs.
    expectAllowed(check('12', { ...good, content: { ...good.content, additional_creators: ['@Old Style:c.test'] } }));
  });

  it('v11: additional_creators means nothing, so garbage there is not checked', () => {
    const room = new TestRoom('11', { createContent: { additional_creators: 'not-a-list' } });
    expectAllowed(check('11', room.create));
  });
});

describe('creatorsOf', () => {
  it('v1-v10: content.creator, whoever sent the event', () => {
    const room = new TestRoom('10', { createContent: { creator: BOB } });
    expect([...creatorsOf(room.version, room.create)]).toEqual([BOB]);
  });

  it('v11: the sender, ignoring content.creator and additional_creators', () => {
    const room = new TestRoom('11', { createContent: { creator: BOB, additional_creators: [CAROL] } });
    expect([...creatorsOf(room.version, room.create)]).toEqual([ALICE]);
  });

  it('v12: the sender plus additional_creators', () => {
    const room = new TestRoom('12', { createContent: { additional_creators: [BOB, CAROL] } });
    expect([...creatorsOf(room.version, room.create)].sort()).toEqual([ALICE, BOB, CAROL].sort());
  });
});
