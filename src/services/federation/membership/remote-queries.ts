import { isJsonObject, type JsonObject, type JsonValue } from '../../../core/json.js';
import { ErrCode, MatrixError, notFound } from '../../errors.js';
import { aliasServer } from '../../rooms/room-aliases.js';
import { serverOfUserId } from '../../user-ids.js';
import { FederationHttpError } from '../federation-client.js';
import type { MembershipContext } from './context.js';
import { describe } from './remote-errors.js';

/**
 * Questions for other servers on behalf of our clients: room aliases (query/directory),
 * profiles (query/profile) and published room directories (publicRooms).
 */

export interface RemotePublicRoomsQuery {
  readonly limit?: number | undefined;
  readonly since?: string | undefined;
  readonly filter?: JsonObject | undefined;
  readonly includeAllNetworks?: boolean | undefined;
  readonly thirdPartyInstanceId?: string | undefined;
}

export class RemoteQueries {
  constructor(private readonly ctx: MembershipContext) {}

  /** The room an alias of another server names, and servers to join it through; undefined when unknown there. */
  async resolveAlias(alias: string): Promise<{ roomId: string; servers: string[] } | undefined> {
    const server = aliasServer(alias);
    if (server === undefined) return undefined;
    let response: JsonObject;
    try {
      response = await this.ctx.federation.client.request(server, {
        method: 'GET',
        path: '/_matrix/federation/v1/query/directory',
        query: { room_alias: alias },
      });
    } catch (err) {
      if (err instanceof FederationHttpError && err.status === 404) return undefined;
      this.ctx.log.info({ alias, err: describe(err) }, 'remote alias lookup failed');
      return undefined;
    }
    if (typeof response.room_id !== 'string' || !response.room_id.startsWith('!')) return undefined;
    const servers = Array.isArray(response.servers) ? response.servers.filter((s): s is string => typeof s === 'string') : [];
    // The alias's own server first: it answered, so it is up.
    return { roomId: response.room_id, servers: [...new Set([server, ...servers])] };
  }

  /** GET /profile/{userId}[/{field}] for a user of another server. */
  async profile(userId: string, field?: string): Promise<JsonObject> {
    const server = serverOfUserId(userId);
    if (server === undefined) throw notFound('Profile not found');
    try {
      const profile = await this.ctx.federation.client.request(server, {
        method: 'GET',
        path: '/_matrix/federation/v1/query/profile',
        query: field === undefined ? { user_id: userId } : { user_id: userId, field },
      });
      return withoutNonProfileKeys(profile);
    } catch (err) {
      if (err instanceof FederationHttpError && (err.status === 404 || err.status === 400)) throw notFound('Profile not found');
      throw new MatrixError(502, ErrCode.UNKNOWN, `Could not ask ${server} for the profile: ${describe(err)}`);
    }
  }

  /** Another server's published room directory (GET, or POST when filtering). */
  async publicRooms(server: string, query: RemotePublicRoomsQuery): Promise<JsonObject> {
    try {
      if (query.filter === undefined) {
        const params: Record<string, string> = {};
        if (query.limit !== undefined) params.limit = String(query.limit);
        if (query.since !== undefined) params.since = query.since;
        if (query.includeAllNetworks !== undefined) params.include_all_networks = String(query.includeAllNetworks);
        if (query.thirdPartyInstanceId !== undefined) params.third_party_instance_id = query.thirdPartyInstanceId;
        return checkedDirectory(await this.ctx.federation.client.request(server, { method: 'GET', path: '/_matrix/federation/v1/publicRooms', query: params }));
      }
      const body: JsonObject = { filter: query.filter };
      if (query.limit !== undefined) body.limit = query.limit;
      if (query.since !== undefined) body.since = query.since;
      if (query.includeAllNetworks !== undefined) body.include_all_networks = query.includeAllNetworks;
      if (query.thirdPartyInstanceId !== undefined) body.third_party_instance_id = query.thirdPartyInstanceId;
      return checkedDirectory(await this.ctx.federation.client.request(server, { method: 'POST', path: '/_matrix/federation/v1/publicRooms', body }));
    } catch (err) {
      if (err instanceof MatrixError) throw err;
      if (err instanceof FederationHttpError && err.status === 404) throw notFound(`${server} has no room directory`);
      throw new MatrixError(502, ErrCode.UNKNOWN, `Could not list the rooms of ${server}: ${describe(err)}`);
    }
  }
}

/** A profile as clients get it: only JSON values keyed by profile field names (no errcode & co). */
function withoutNonProfileKeys(profile: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(profile)) if (key !== 'errcode' && key !== 'error') out[key] = value;
  return out;
}

/** Only well-formed chunks reach our client (the answer is passed on nearly as it came). */
function checkedDirectory(response: JsonObject): JsonObject {
  const chunk: JsonValue[] = Array.isArray(response.chunk) ? response.chunk : [];
  const rooms = chunk.filter(
    (room) => isJsonObject(room) && typeof room.room_id === 'string' && typeof room.num_joined_members === 'number' && typeof room.world_readable === 'boolean' && typeof room.guest_can_join === 'boolean',
  );
  const out: JsonObject = { chunk: rooms };
  for (const key of ['next_batch', 'prev_batch'] as const) if (typeof response[key] === 'string') out[key] = response[key];
  if (typeof response.total_room_count_estimate === 'number') out.total_room_count_estimate = response.total_room_count_estimate;
  return out;
}
