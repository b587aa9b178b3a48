import type { RoomEvent } from '../events/room-event.js';
import type { RoomVersion } from '../room-versions.js';
import { joinRuleOf, membershipOf, type AuthContext } from './context.js';
import { originalCreator } from './create.js';
import { domainOf, isValidUserId } from './identifiers.js';
import { namedLevel, userLevel, type RoomPower } from './power-levels.js';
import { ALLOW, reject, type AuthResult } from './result.js';
import { checkThirdPartyInviteMembership } from './third-party-invite.js';

type MemberEvent = RoomEvent & { state_key: string };

/** Rule "If type is m.room.member" (rule 4 in v1-v11 numbering with aliases removed, 5 in v12). */
export function checkMemberEvent(ctx: AuthContext, event: RoomEvent): AuthResult {
  if (event.state_key === undefined) return reject('m.room.member has no state_key');
  const membership = event.content.membership;
  if (typeof membership !== 'string') return reject('m.room.member has no content.membership');
  const member = event as MemberEvent;

  // v8+: the authorising user's server must have signed the event. The signature itself is checked
  // with the PDU's other signatures (see authorisingServer); all that is left to the rules is that
  // the key names a user whose server could have signed.
  if (ctx.version.restrictedJoins && Object.hasOwn(event.content, 'join_authorised_via_users_server')) {
    if (authorisingServer(ctx.version, event) === undefined) {
      return reject('join_authorised_via_users_server is not a user ID');
    }
  }

  switch (membership) {
    case 'join':
      return checkJoin(ctx, member);
    case 'invite':
      return checkInvite(ctx, member);
    case 'leave':
      return checkLeave(ctx, member);
    case 'ban':
      return checkBan(ctx, member);
    case 'knock':
      // Before v7 `knock` is just another unknown membership.
      if (ctx.version.knocking) return checkKnock(ctx, member);
      break;
  }
  return reject(`unknown membership ${JSON.stringify(membership)}`);
}

/**
 * The server whose signature rule "join_authorised_via_users_server" requires, for the signature
 * checks on receipt of a PDU (which hold the signatures and keys the rules do not see): the domain
 * of content.join_authorised_via_users_server on m.room.member events in v8+. Undefined when not
 * applicable, or when the value is not a user ID (the rules then reject the event).
 */
export function authorisingServer(
  version: RoomVersion,
  event: Pick<RoomEvent, 'type' | 'content'>,
): string | undefined {
  if (!version.restrictedJoins || event.type !== 'm.room.member') return undefined;
  const userId = event.content.join_authorised_via_users_server;
  return isValidUserId(userId) ? domainOf(userId) : undefined;
}

function withPower(ctx: AuthContext, check: (power: RoomPower) => AuthResult): AuthResult {
  const power = ctx.power();
  return 'error' in power ? reject(power.error) : check(power);
}

function checkJoin(ctx: AuthContext, event: MemberEvent): AuthResult {
  const { version, state, create } = ctx;

  // join 1: the creator's own join straight after the create event. Deliberately checked before
  // "sender matches state_key", exactly as the spec orders it.
  if (
    event.prev_events.length === 1 &&
    event.prev_events[0] === create.event_id &&
    event.state_key === originalCreator(version, create)
  ) {
    return ALLOW;
  }

  // join 2
  if (event.sender !== event.state_key) return reject('a user may only join themself');

  // join 3
  const current = membershipOf(state, event.state_key);
  if (current === 'ban') return reject('sender is banned');

  const joinRule = joinRuleOf(state);
  const invitedOrJoined = current === 'invite' || current === 'join';

  // join 4: knock rooms (v7+) admit like invite rooms: by invitation.
  if (joinRule === 'invite' || (version.knocking && joinRule === 'knock')) {
    return invitedOrJoined ? ALLOW : reject(`join rule is ${joinRule} and sender is not invited`);
  }

  // join 5: restricted (v8+), knock_restricted (v10+).
  if ((version.restrictedJoins && joinRule === 'restricted') || (version.knockRestricted && joinRule === 'knock_restricted')) {
    if (invitedOrJoined) return ALLOW;
    const via = event.content.join_authorised_via_users_server;
    if (typeof via !== 'string') return reject(`join rule is ${joinRule}: join needs join_authorised_via_users_server`);
    if (membershipOf(state, via) !== 'join') return reject('join_authorised_via_users_server is not joined to the room');
    return withPower(ctx, (power) =>
      userLevel(power, via) >= namedLevel(power, 'invite')
        ? ALLOW
        : reject('join_authorised_via_users_server may not invite users'),
    );
  }

  // join 6, 7
  if (joinRule === 'public') return ALLOW;
  return reject(`join rule ${JSON.stringify(joinRule ?? null)} does not admit this join`);
}

function checkInvite(ctx: AuthContext, event: MemberEvent): AuthResult {
  const { state } = ctx;
  const target = membershipOf(state, event.state_key);

  // invite 1: third-party invites carry their own authority and skip the checks below.
  if (Object.hasOwn(event.content, 'third_party_invite')) {
    return checkThirdPartyInviteMembership(event, target, state);
  }

  // invite 2-5
  if (membershipOf(state, event.sender) !== 'join') return reject('inviter is not joined');
  if (target === 'join' || target === 'ban') return reject(`invitee is already ${target === 'join' ? 'joined' : 'banned'}`);
  return withPower(ctx, (power) =>
    userLevel(power, event.sender) >= namedLevel(power, 'invite') ? ALLOW : reject('inviter is below the invite level'),
  );
}

function checkLeave(ctx: AuthContext, event: MemberEvent): AuthResult {
  const { version, state } = ctx;
  const senderMembership = membershipOf(state, event.sender);

  // leave 1: leaving, rejecting an invite, or (v7+) withdrawing a knock.
  if (event.sender === event.state_key) {
    const mayLeave =
      senderMembership === 'join' || senderMembership === 'invite' || (version.knocking && senderMembership === 'knock');
    return mayLeave ? ALLOW : reject('sender is not joined, invited or knocking');
  }

  // leave 2: kicks and unbans need a joined sender.
  if (senderMembership !== 'join') return reject('sender of a kick or unban is not joined');

  return withPower(ctx, (power) => {
    const senderLevel = userLevel(power, event.sender);
    // leave 3: lifting a ban needs the ban level too.
    if (membershipOf(state, event.state_key) === 'ban' && senderLevel < namedLevel(power, 'ban')) {
      return reject('sender is below the ban level and may not unban');
    }
    // leave 4, 5
    if (senderLevel >= namedLevel(power, 'kick') && userLevel(power, event.state_key) < senderLevel) return ALLOW;
    return reject('sender may not kick this user');
  });
}

function checkBan(ctx: AuthContext, event: MemberEvent): AuthResult {
  if (membershipOf(ctx.state, event.sender) !== 'join') return reject('sender of a ban is not joined');
  return withPower(ctx, (power) => {
    const senderLevel = userLevel(power, event.sender);
    if (senderLevel >= namedLevel(power, 'ban') && userLevel(power, event.state_key) < senderLevel) return ALLOW;
    return reject('sender may not ban this user');
  });
}

function checkKnock(ctx: AuthContext, event: MemberEvent): AuthResult {
  const { version, state } = ctx;
  const joinRule = joinRuleOf(state);
  // knock 1: knock (v7+) or knock_restricted (v10+).
  if (!(joinRule === 'knock' || (version.knockRestricted && joinRule === 'knock_restricted'))) {
    return reject(`join rule ${JSON.stringify(joinRule ?? null)} does not allow knocking`);
  }
  // knock 2
  if (event.sender !== event.state_key) return reject('a user may only knock for themself');
  // knock 3, 4
  const current = membershipOf(state, event.sender);
  if (current === 'ban' || current === 'invite' || current === 'join') {
    return reject(`sender may not knock while ${current === 'ban' ? 'banned' : current === 'invite' ? 'invited' : 'joined'}`);
  }
  return ALLOW;
}
