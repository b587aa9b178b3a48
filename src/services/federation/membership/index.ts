import type { RemoteMembership } from '../../rooms/remote-membership.js';
import { AuthFetcher } from '../inbound/fetch-auth.js';
import { OutlierHandler } from '../inbound/handle-outlier-pdu.js';
import { RemoteEvents } from '../inbound/remote-events.js';
import type { MembershipContext } from './context.js';
import { HistoryBackfill } from './history-backfill.js';
import { InviteReceiver } from './invite-receiver.js';
import { OpenIdTokens } from './openid-tokens.js';
import { RemoteInviter } from './remote-invite.js';
import { RemoteJoiner } from './remote-join.js';
import { RemoteKnocker } from './remote-knock.js';
import { RemoteLeaver } from './remote-leave.js';
import { RemoteQueries } from './remote-queries.js';
import { ResidentHandshakes } from './resident-handshakes.js';
import { ClientSpaceHierarchy } from './client-space-hierarchy.js';
import { RoomPreview } from './room-preview.js';
import { RoomSummary } from './room-summary.js';
import { SpaceHierarchy } from './space-hierarchy.js';
import { ThirdPartyInvites } from './third-party-invites.js';
import { UserKeys } from './user-keys.js';

/**
 * The membership side of federation (see README.md): both halves of the join / leave / knock /
 * invite handshakes, the queries other servers answer for us and we for them, spaces, OpenID and
 * third-party invites. Built once per homeserver; registers itself with the rooms service as its
 * RemoteMembership, so joining a room elsewhere is one call for the client endpoints.
 */
export interface FederationMembership {
  /** make_join / send_join, make_leave / send_leave, make_knock / send_knock: rooms we are in. */
  readonly resident: ResidentHandshakes;
  /** PUT /invite: invites of our users from other servers. */
  readonly invites: InviteReceiver;
  /** Aliases, profiles and room directories of other servers. */
  readonly queries: RemoteQueries;
  readonly spaces: SpaceHierarchy;
  /** The client's /hierarchy: our rooms, and children elsewhere asked of their servers. */
  readonly clientSpaces: ClientSpaceHierarchy;
  /** The client's /room_summary: a room we hold, or one another server describes. */
  readonly roomSummary: RoomSummary;
  readonly openId: OpenIdTokens;
  readonly thirdPartyInvites: ThirdPartyInvites;
  /** Device lists and end-to-end keys of our users, as other servers ask for them. */
  readonly userKeys: UserKeys;
  /** History before the start of what we hold of a room, for /messages. */
  readonly backfill: HistoryBackfill;
}


export function createFederationMembership(ctx: MembershipContext): FederationMembership {
  const joiner = new RemoteJoiner(ctx);
  const knocker = new RemoteKnocker(ctx);
  const leaver = new RemoteLeaver(ctx);
  const inviter = new RemoteInviter(ctx);
  const queries = new RemoteQueries(ctx);

  const remote: RemoteMembership = {
    join: (request) => joiner.join(request),
    knock: (request) => knocker.knock(request),
    invite: (roomId, roomVersion, event) => inviter.invite(roomId, roomVersion, event),
    leave: (request) => leaver.leave(request),
    resolveAlias: (alias) => queries.resolveAlias(alias),
  };
  ctx.rooms.setRemoteMembership(remote);

  // Backfilled events are fetched and completed with the inbound pipeline's pieces: requests to
  // the room's servers, outlier storage, unknown auth events.
  const remoteEvents = new RemoteEvents(ctx.federation.client, ctx.log);
  const outliers = new OutlierHandler(ctx.storage, ctx.rooms, ctx.verifier, ctx.log);
  const backfill = new HistoryBackfill(ctx, remoteEvents, outliers, new AuthFetcher(ctx.storage, remoteEvents, outliers));

  const spaces = new SpaceHierarchy(ctx);
  const preview = new RoomPreview(ctx);
  return {
    backfill,
    resident: new ResidentHandshakes(ctx),
    invites: new InviteReceiver(ctx),
    queries,
    spaces,
    clientSpaces: new ClientSpaceHierarchy(ctx, spaces, preview),
    roomSummary: new RoomSummary(ctx, spaces, preview),
    openId: new OpenIdTokens(ctx.storage, ctx.clock, ctx.serverName),
    thirdPartyInvites: new ThirdPartyInvites(ctx, inviter),
    userKeys: new UserKeys(ctx.storage, ctx.serverName),
  };
}
