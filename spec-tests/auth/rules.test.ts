import { describe, it } from 'vitest';
import { checkAuthRules } from '../../src/core/auth/index.js';
import { ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, TestRoom, expectAllowed, expectRejected } from './factory.js';

describe('the create event in state (v12 rule 2 and its counterpart before v12)', () => {
  it.each(ALL_VERSIONS)('v%s: an event with no create event in state is rejected', (v) => {
    const room = TestRoom.standard(v);
    const message = room.message(ALICE);
    expectAllowed(room.check(message));
    expectRejected(
      checkAuthRules(room.version, message, (type, key) => (type === 'm.room.create' ? undefined : room.lookup(type, key))),
      /no m.room.create/,
    );
  });

  it('v12: the room ID must name the create event', () => {
    const room = TestRoom.standard('12');
    expectRejected(room.check({ ...room.message(ALICE), room_id: '!someotherhash' }), /room_id/);
  });

  it.each(['3', '11'])('v%s: a create event of another room in the state is rejected', (v) => {
    const room = TestRoom.standard(v);
    expectRejected(room.check({ ...room.message(ALICE), room_id: '!other:a.test' }), /another room/);
  });
});

describe('m.federate (rule 3; v12 rule 4)', () => {
  it.each(ALL_VERSIONS)('v%s: with m.federate false only the creator server may send', (v) => {
    const room = TestRoom.standard(v, { createContent: { 'm.federate': false }, joined: [DAVE] });
    expectRejected(room.check(room.member(BOB, 'join')), /not federated/);
    expectAllowed(room.check(room.message(DAVE)));
  });

  it('m.federate true or absent federates', () => {
    const room = TestRoom.standard('10', { createContent: { 'm.federate': true } });
    expectAllowed(room.check(room.member(BOB, 'join')));
  });
});

describe('m.room.aliases (rule 4, v1-v5 only)', () => {
  it.each(['1', '3', '5'])("v%s: a server may set its own aliases without being in the room, not another server's", (v) => {
    const room = TestRoom.standard(v);
    const aliases = (sender: string, stateKey: string | undefined) =>
      room.event({ type: 'm.room.aliases', sender, content: { aliases: ['#x:b.test'] }, ...(stateKey !== undefined ? { state_key: stateKey } : {}) });
    expectAllowed(room.check(aliases(BOB, 'b.test')));
    expectRejected(room.check(aliases(BOB, 'a.test')), /domain/);
    expectRejected(room.check(aliases(BOB, undefined)), /state_key/);
  });

  it.each(['6', '12'])('v%s: m.room.aliases is an ordinary state event', (v) => {
    const room = TestRoom.standard(v, { joined: [DAVE] });
    const aliases = (sender: string) => room.event({ type: 'm.room.aliases', sender, state_key: 'b.test', content: { aliases: [] } });
    expectRejected(room.check(aliases(BOB)), /not joined/);
    // Dave is joined but below state_default.
    expectRejected(room.check(aliases(DAVE)), /below the level/);
    expectAllowed(room.check(aliases(ALICE)));
  });
});

describe('rule: the sender must be joined', () => {
  it.each(ALL_VERSIONS)('v%s: messages from non-members, invitees and former members are rejected', (v) => {
    const room = TestRoom.standard(v, { joined: [DAVE] });
    expectAllowed(room.check(room.message(DAVE)));
    expectRejected(room.check(room.message(BOB)), /not joined/);
    room.forceMembership(BOB, 'invite', ALICE);
    expectRejected(room.check(room.message(BOB)), /not joined/);
    room.forceMembership(DAVE, 'leave');
    expectRejected(room.check(room.message(DAVE)), /not joined/);
  });
});

describe('rule: required power level', () => {
  it.each(ALL_VERSIONS)('v%s: state needs state_default, messages events_default, events overrides both', (v) => {
    const room = TestRoom.standard(v, { joined: [DAVE], levels: { events: { 'm.room.topic': 0, 'm.reaction': 10 } } });
    const state = (type: string) => room.event({ type, sender: DAVE, state_key: '', content: {} });
    expectRejected(room.check(state('m.room.name')), /below the level 50/);
    expectAllowed(room.check(state('m.room.topic')));
    expectAllowed(room.check(room.message(DAVE)));
    expectRejected(room.check(room.event({ type: 'm.reaction', sender: DAVE, content: {} })), /below the level 10/);
  });

  it.each(ALL_VERSIONS)('v%s: without a power levels event, state needs 50: the creator has it, others do not', (v) => {
    const room = new TestRoom(v).creatorJoins();
    room.accept(room.joinRules(ALICE, 'public'));
    room.accept(room.member(DAVE, 'join'));
    const name = (sender: string) => room.event({ type: 'm.room.name', sender, state_key: '', content: { name: 'x' } });
    expectAllowed(room.check(name(ALICE)));
    expectRejected(room.check(name(DAVE)), /below the level 50/);
    expectAllowed(room.check(room.message(DAVE)));
  });

  it('v12: creators outrank any explicit level', () => {
    const room = TestRoom.standard('12', { createContent: { additional_creators: [BOB] }, joined: [BOB], levels: { events: { 'm.room.tombstone': 9_000_000_000 } } });
    expectAllowed(room.check(room.event({ type: 'm.room.tombstone', sender: BOB, state_key: '', content: {} })));
  });
});

describe("rule: state keys that are other users' IDs", () => {
  it.each(ALL_VERSIONS)('v%s: a state_key starting with @ must be the sender', (v) => {
    const room = TestRoom.standard(v, { joined: [DAVE], levels: { state_default: 0 } });
    const state = (stateKey: string) => room.event({ type: 'org.example.status', sender: DAVE, state_key: stateKey, content: {} });
    expectAllowed(room.check(state(DAVE)));
    expectAllowed(room.check(state('plain')));
    expectRejected(room.check(state(CAROL)), /another user/);
    // Even the room admin may not.
    expectRejected(room.check(room.event({ type: 'org.example.status', sender: ALICE, state_key: DAVE, content: {} })), /another user/);
  });
});

describe('m.room.redaction', () => {
  it.each(['1', '2'])('v%s: below the redact level only same-server redactions pass', (v) => {
    const room = TestRoom.standard(v, { joined: [DAVE, BOB] });
    const redaction = (sender: string, redacts: string) => room.event({ type: 'm.room.redaction', sender, redacts, content: {} });
    // Dave (a.test) redacts an event that originated on a.test; Bob (b.test) may not.
    expectAllowed(room.check(redaction(DAVE, '$e1:a.test')));
    expectRejected(room.check(redaction(BOB, '$e1:a.test')), /redact level/);
    expectRejected(room.check({ ...redaction(DAVE, '$e1:a.test'), redacts: undefined }), /redact level/);
    // At the redact level anything goes.
    expectAllowed(room.check(redaction(ALICE, '$e9:b.test')));
  });

  it.each(['3', '11', '12'])('v%s: the redact level is not an auth rule any more', (v) => {
    const room = TestRoom.standard(v, { joined: [BOB] });
    expectAllowed(room.check(room.event({ type: 'm.room.redaction', sender: BOB, redacts: '$anything', content: { redacts: '$anything' } })));
    const strict = TestRoom.standard(v, { joined: [BOB], levels: { events: { 'm.room.redaction': 50 } } });
    expectRejected(strict.check(strict.event({ type: 'm.room.redaction', sender: BOB, redacts: '$anything', content: {} })), /below the level/);
  });
});
