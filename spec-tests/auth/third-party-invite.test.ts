import { describe, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { signJson, signingKeyFromSeed } from '../../src/core/signing.js';
import { ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, TestRoom, expectAllowed, expectRejected } from './factory.js';

// Two identity-server keys: the one the m.room.third_party_invite publishes, and an impostor.
const idKey = signingKeyFromSeed(new Uint8Array(32).fill(7), 'ed25519:0');
const otherKey = signingKeyFromSeed(new Uint8Array(32).fill(9), 'ed25519:0');
const TOKEN = 'abc123';

function signed(mxid: string, key = idKey, token = TOKEN): JsonObject {
  return signJson({ mxid, token, sender: DAVE }, 'id.test', key);
}

/** A room where Dave (joined, may invite) has published a third-party invite with token TOKEN. */
function roomWithInvite(v: string, keyContent: JsonObject = { public_key: idKey.publicKeyBase64 }): TestRoom {
  const room = TestRoom.standard(v, { joinRule: 'invite', joined: [DAVE] });
  room.accept(
    room.event({
      type: 'm.room.third_party_invite',
      sender: DAVE,
      state_key: TOKEN,
      content: { display_name: 'b...@example.com', key_validity_url: 'https://id.test/isvalid', ...keyContent },
    }),
  );
  return room;
}

function thirdPartyInvite(room: TestRoom, sender: string, target: string, signedBlock: JsonObject | undefined) {
  const content: JsonObject = { display_name: 'Bob' };
  if (signedBlock !== undefined) content.signed = signedBlock;
  return room.member(sender, 'invite', target, { third_party_invite: content });
}

describe('m.room.third_party_invite events (rule 7)', () => {
  it.each(ALL_VERSIONS)('v%s: allowed at the invite level, rejected below it', (v) => {
    const room = TestRoom.standard(v, { joined: [DAVE], levels: { invite: 10 }, users: { [DAVE]: 5 } });
    const event = (sender: string) =>
      room.event({ type: 'm.room.third_party_invite', sender, state_key: 'tok', content: { public_key: idKey.publicKeyBase64 } });
    expectRejected(room.check(event(DAVE)), /invite level/);
    expectAllowed(room.check(event(ALICE)));
  });
});

describe('third-party invites (member invite 1)', () => {
  it.each(ALL_VERSIONS)('v%s: 1.7 a signed block signed with the published key is allowed', (v) => {
    const room = roomWithInvite(v);
    expectAllowed(room.check(thirdPartyInvite(room, DAVE, BOB, signed(BOB))));
  });

  it.each(['1', '12'])('v%s: 1.8 a signed block signed with another key is rejected', (v) => {
    const room = roomWithInvite(v);
    expectRejected(room.check(thirdPartyInvite(room, DAVE, BOB, signed(BOB, otherKey))), /no signature/);
  });

  it('1.8 a signature over different contents is rejected', () => {
    const room = roomWithInvite('10');
    const tampered = { ...signed(BOB), mxid: BOB, extra: 'added after signing' };
    expectRejected(room.check(thirdPartyInvite(room, DAVE, BOB, tampered)), /no signature/);
  });

  it('1.7 keys listed in public_keys count as well', () => {
    const room = roomWithInvite('9', {
      public_key: otherKey.publicKeyBase64,
      public_keys: [{ public_key: 'not base64 !!' }, { public_key: idKey.publicKeyBase64, key_validity_url: 'https://id.test/v' }],
    });
    expectAllowed(room.check(thirdPartyInvite(room, DAVE, BOB, signed(BOB))));
  });

  it('1.1 a banned target is rejected even with a good signature', () => {
    const room = roomWithInvite('11');
    room.forceMembership(BOB, 'ban', ALICE);
    expectRejected(room.check(thirdPartyInvite(room, DAVE, BOB, signed(BOB))), /banned/);
  });

  it('1.2, 1.3 signed must be present and hold mxid and token', () => {
    const room = roomWithInvite('6');
    expectRejected(room.check(thirdPartyInvite(room, DAVE, BOB, undefined)), /no signed/);
    expectRejected(room.check(room.member(DAVE, 'invite', BOB, { third_party_invite: 'yes' })), /no signed/);
    const { token: _token, ...noToken } = signed(BOB);
    expectRejected(room.check(thirdPartyInvite(room, DAVE, BOB, noToken)), /mxid or token/);
  });

  it('1.4 mxid must be the invitee', () => {
    const room = roomWithInvite('4');
    expectRejected(room.check(thirdPartyInvite(room, DAVE, CAROL, signed(BOB))), /mxid/);
  });

  it('1.5 the token must name an m.room.third_party_invite in state', () => {
    const room = roomWithInvite('5');
    expectRejected(room.check(thirdPartyInvite(room, DAVE, BOB, signed(BOB, idKey, 'other-token'))), /no m.room.third_party_invite/);
  });

  it('1.6 only the sender of the m.room.third_party_invite may complete it', () => {
    const room = roomWithInvite('7');
    expectRejected(room.check(thirdPartyInvite(room, ALICE, BOB, signed(BOB))), /sender/);
  });

  it('a third-party invite skips the "inviter is joined" checks (the invitee server sends it)', () => {
    const room = roomWithInvite('8');
    // Dave published the invite and then left; the spec's 3pid branch decides on its own.
    room.forceMembership(DAVE, 'leave');
    expectAllowed(room.check(thirdPartyInvite(room, DAVE, BOB, signed(BOB))));
  });
});
