import { isJsonObject, type JsonObject } from '../../../core/json.js';
import { roomVersion, SUPPORTED_ROOM_VERSIONS, type RoomVersion } from '../../../core/room-versions.js';
import type { RemoteMembershipRequest } from '../../rooms/remote-membership.js';
import type { MembershipContext } from './context.js';
import { signTemplate, TemplateError, type HandshakeMembership, type SignedTemplate } from './event-template.js';
import { describe, remoteFailure } from './remote-errors.js';

/**
 * Our half of the make_* / send_* handshakes: ask each candidate server in turn for a template,
 * sign it, and hand it to `complete` (which sends it back and deals with the answer). The first
 * server that gets through both steps wins; if none does, the client hears the most telling
 * failure (see remote-errors.ts).
 */

export interface HandshakeStep {
  readonly server: string;
  readonly version: RoomVersion;
  readonly signed: SignedTemplate;
  /** The make_* response, for anything beyond the template. */
  readonly made: JsonObject;
}

const PATHS: Record<HandshakeMembership, string> = {
  join: 'make_join',
  leave: 'make_leave',
  knock: 'make_knock',
};

export async function runHandshake<T>(
  ctx: MembershipContext,
  membership: HandshakeMembership,
  request: RemoteMembershipRequest,
  complete: (step: HandshakeStep) => Promise<T>,
): Promise<T> {
  const errors: unknown[] = [];
  for (const server of candidateServers(ctx, request.servers)) {
    try {
      const made = await ctx.federation.client.request(server, {
        method: 'GET',
        path: `/_matrix/federation/v1/${PATHS[membership]}/${encodeURIComponent(request.roomId)}/${encodeURIComponent(request.userId)}`,
        ...(membership === 'leave' ? {} : { query: { ver: SUPPORTED_ROOM_VERSIONS } }),
      });
      // "If not provided, the room version is assumed to be either 1 or 2" (same event format).
      const versionId = typeof made.room_version === 'string' ? made.room_version : '1';
      const version = roomVersion(versionId);
      if (!version) throw new TemplateError(`${server} offered room version ${versionId}, which we do not support`);
      const signed = signTemplate(isJsonObject(made.event) ? made.event : undefined, {
        version,
        roomId: request.roomId,
        userId: request.userId,
        membership,
        content: request.content,
        origin: ctx.serverName,
        key: ctx.signingKey,
        now: ctx.clock.now(),
      });
      return await complete({ server, version, signed, made });
    } catch (err) {
      ctx.log.info({ server, roomId: request.roomId, membership, err: describe(err) }, 'remote membership handshake failed; trying the next server');
      errors.push(err);
    }
  }
  throw remoteFailure(errors, `Remote ${membership}`);
}

/** The servers to try, in order, without duplicates and without ourselves. */
export function candidateServers(ctx: MembershipContext, servers: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const server of servers) if (server !== ctx.serverName && server !== '') out.add(server);
  return [...out];
}
