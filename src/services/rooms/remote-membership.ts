import type { Pdu } from '../../core/events/pdu.js';
import type { JsonObject } from '../../core/json.js';

/**
 * The seam between local room logic and federation. Membership changes in rooms this server
 * is not in (joining or knocking on a remote room, resolving a remote alias, inviting a user of
 * another server, rejecting an invite from one) need other servers: make_join/send_join,
 * make_knock/send_knock, /invite, make_leave/send_leave, directory queries. The federation
 * services implement this interface and register it with `RoomServices.setRemoteMembership`;
 * until then those requests answer 404 M_UNKNOWN ("no known servers"), as Synapse does for a
 * room it cannot reach.
 *
 * Implementations persist what they receive through EventPersister (the state and auth chain
 * of send_join as outliers, then the join event with `stateBefore`), so the room then behaves
 * as any local room.
 */
export interface RemoteMembership {
  /** Joins a room we are not in, via `servers`; resolves once the join event is persisted. */
  join(request: RemoteMembershipRequest): Promise<{ roomId: string }>;
  /** Knocks on a room we are not in. */
  knock(request: RemoteMembershipRequest): Promise<{ roomId: string }>;
  /**
   * Sends an invite we built (already in `event`, signed by us) to the invitee's server and
   * returns the event countersigned by it (unvalidated JSON: the caller validates and persists it).
   */
  invite(roomId: string, roomVersion: string, event: Pdu): Promise<unknown>;
  /** Rejects an invite (or withdraws a knock) in a room we are not in. */
  leave(request: RemoteMembershipRequest): Promise<void>;
  /** Resolves an alias on another server: the room ID and servers that can be joined via. */
  resolveAlias(alias: string): Promise<{ roomId: string; servers: string[] } | undefined>;
}

export interface RemoteMembershipRequest {
  readonly userId: string;
  readonly roomId: string;
  /** Servers to try, in order (from the alias, `via`/`server_name`, or the room ID). */
  readonly servers: readonly string[];
  /** Extra member content (reason, displayname, avatar_url). */
  readonly content: JsonObject;
}
