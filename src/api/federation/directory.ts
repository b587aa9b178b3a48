import { missingParam, notFound } from '../../services/errors.js';
import { ok } from '../endpoint.js';
import { endpoint, queryParam } from '../define.js';

/** query/directory (server-server query.yaml): which room one of our aliases names. */

export const queryRoomDirectory = endpoint({
  id: 'queryRoomDirectory',
  method: 'GET',
  path: '/_matrix/federation/v1/query/directory',
  auth: 'server',
  rateLimit: 'none',
  async handler({ services, query }) {
    const alias = queryParam(query, 'room_alias');
    if (alias === undefined) throw missingParam('Missing room_alias');
    const aliases = services.rooms.aliases;
    // Only our own aliases: another server's are its to answer.
    if (!aliases.isLocal(alias)) throw notFound(`Room alias ${alias} is not on this server`);
    const { roomId, servers } = await aliases.resolve(alias);
    return ok({ room_id: roomId, servers });
  },
});

export const directoryEndpoints = [queryRoomDirectory];
