import { Type } from '@sinclair/typebox';
import { missingParam, notFound } from '../../services/errors.js';
import type { BackupKeyData } from '../../services/e2e/backup-keys.js';
import { AnyObject, endpoint, queryParam } from '../define.js';
import { ok } from '../endpoint.js';

/**
 * Server-side key backups (spec module key_backup.yaml): backup versions and the room keys in
 * them. Every path had an r0 spelling (Matrix r0.6), which Synapse still serves. Reads are not
 * rate-limited: a client restoring a backup fetches it whole.
 */

const r0 = (path: string): string[] => [path.replace('/_matrix/client/v3/', '/_matrix/client/r0/')];

/** Sessions per room and rooms per upload; the service also bounds the sessions of a whole request. */
const MAX_ENTRIES = 10_000;

/** The spec names the megolm backup algorithm only; others (e.g. MSC3270's symmetric backup) are stored as opaque as it is. */
const Algorithm = Type.String({ minLength: 1, maxLength: 255 });

const KeyBackupData = Type.Object({
  first_message_index: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  forwarded_count: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  is_verified: Type.Boolean(),
  session_data: AnyObject(),
});

const RoomKeyBackup = Type.Object({
  sessions: Type.Record(Type.String(), KeyBackupData, { maxProperties: MAX_ENTRIES }),
});

function version(query: URLSearchParams): string {
  const v = queryParam(query, 'version');
  if (v === undefined) throw missingParam("Missing 'version'");
  return v;
}

const VERSIONS_PATH = '/_matrix/client/v3/room_keys/version';
const VERSION_PATH = '/_matrix/client/v3/room_keys/version/{version}';
const KEYS_PATH = '/_matrix/client/v3/room_keys/keys';
const ROOM_KEYS_PATH = '/_matrix/client/v3/room_keys/keys/{roomId}';
const SESSION_KEY_PATH = '/_matrix/client/v3/room_keys/keys/{roomId}/{sessionId}';

export const postRoomKeysVersion = endpoint({
  id: 'postRoomKeysVersion',
  method: 'POST',
  path: VERSIONS_PATH,
  aliases: r0(VERSIONS_PATH),
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ algorithm: Algorithm, auth_data: AnyObject() }),
  async handler({ services, requester, body }) {
    return ok({ version: services.e2e.backup.versions.create(requester.userId, body.algorithm, body.auth_data) });
  },
});

export const getRoomKeysVersionCurrent = endpoint({
  id: 'getRoomKeysVersionCurrent',
  method: 'GET',
  path: VERSIONS_PATH,
  aliases: r0(VERSIONS_PATH),
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester }) {
    return ok(services.e2e.backup.versions.current(requester.userId));
  },
});

export const getRoomKeysVersion = endpoint({
  id: 'getRoomKeysVersion',
  method: 'GET',
  path: VERSION_PATH,
  aliases: r0(VERSION_PATH),
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params }) {
    return ok(services.e2e.backup.versions.get(requester.userId, params['version']!));
  },
});

export const putRoomKeysVersion = endpoint({
  id: 'putRoomKeysVersion',
  method: 'PUT',
  path: VERSION_PATH,
  aliases: r0(VERSION_PATH),
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ algorithm: Algorithm, auth_data: AnyObject(), version: Type.Optional(Type.String()) }),
  async handler({ services, requester, params, body }) {
    services.e2e.backup.versions.update(requester.userId, params['version']!, body);
    return ok({});
  },
});

export const deleteRoomKeysVersion = endpoint({
  id: 'deleteRoomKeysVersion',
  method: 'DELETE',
  path: VERSION_PATH,
  aliases: r0(VERSION_PATH),
  auth: 'user',
  rateLimit: 'general',
  async handler({ services, requester, params }) {
    services.e2e.backup.versions.delete(requester.userId, params['version']!);
    return ok({});
  },
});

// The keys, at three levels: the whole backup, one room, one session.

export const putRoomKeys = endpoint({
  id: 'putRoomKeys',
  method: 'PUT',
  path: KEYS_PATH,
  aliases: r0(KEYS_PATH),
  auth: 'user',
  rateLimit: 'general',
  body: Type.Object({ rooms: Type.Record(Type.String(), RoomKeyBackup, { maxProperties: MAX_ENTRIES }) }),
  async handler({ services, requester, query, body }) {
    const update = services.e2e.backup.keys.upload(requester.userId, version(query), body.rooms);
    return ok({ ...update });
  },
});

export const getRoomKeys = endpoint({
  id: 'getRoomKeys',
  method: 'GET',
  path: KEYS_PATH,
  aliases: r0(KEYS_PATH),
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, query }) {
    const found = services.e2e.backup.keys.get(requester.userId, version(query), {});
    const rooms = Object.fromEntries(Object.entries(found).map(([roomId, sessions]) => [roomId, { sessions }]));
    return ok({ rooms });
  },
});

export const deleteRoomKeys = endpoint({
  id: 'deleteRoomKeys',
  method: 'DELETE',
  path: KEYS_PATH,
  aliases: r0(KEYS_PATH),
  auth: 'user',
  rateLimit: 'general',
  async handler({ services, requester, query }) {
    return ok({ ...services.e2e.backup.keys.delete(requester.userId, version(query), {}) });
  },
});

export const putRoomKeysByRoomId = endpoint({
  id: 'putRoomKeysByRoomId',
  method: 'PUT',
  path: ROOM_KEYS_PATH,
  aliases: r0(ROOM_KEYS_PATH),
  auth: 'user',
  rateLimit: 'general',
  body: RoomKeyBackup,
  async handler({ services, requester, params, query, body }) {
    const update = services.e2e.backup.keys.upload(requester.userId, version(query), { [params['roomId']!]: body });
    return ok({ ...update });
  },
});

export const getRoomKeysByRoomId = endpoint({
  id: 'getRoomKeysByRoomId',
  method: 'GET',
  path: ROOM_KEYS_PATH,
  aliases: r0(ROOM_KEYS_PATH),
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params, query }) {
    const roomId = params['roomId']!;
    const found = services.e2e.backup.keys.get(requester.userId, version(query), { roomId });
    // A room without keys is an empty room, not an error: clients need not special-case it.
    return ok({ sessions: found[roomId] ?? {} });
  },
});

export const deleteRoomKeysByRoomId = endpoint({
  id: 'deleteRoomKeysByRoomId',
  method: 'DELETE',
  path: ROOM_KEYS_PATH,
  aliases: r0(ROOM_KEYS_PATH),
  auth: 'user',
  rateLimit: 'general',
  async handler({ services, requester, params, query }) {
    return ok({ ...services.e2e.backup.keys.delete(requester.userId, version(query), { roomId: params['roomId']! }) });
  },
});

export const putRoomKeyBySessionId = endpoint({
  id: 'putRoomKeyBySessionId',
  method: 'PUT',
  path: SESSION_KEY_PATH,
  aliases: r0(SESSION_KEY_PATH),
  auth: 'user',
  rateLimit: 'general',
  body: KeyBackupData,
  async handler({ services, requester, params, query, body }) {
    const sessions: Record<string, BackupKeyData> = { [params['sessionId']!]: body };
    const update = services.e2e.backup.keys.upload(requester.userId, version(query), { [params['roomId']!]: { sessions } });
    return ok({ ...update });
  },
});

export const getRoomKeyBySessionId = endpoint({
  id: 'getRoomKeyBySessionId',
  method: 'GET',
  path: SESSION_KEY_PATH,
  aliases: r0(SESSION_KEY_PATH),
  auth: 'user',
  rateLimit: 'none',
  async handler({ services, requester, params, query }) {
    const roomId = params['roomId']!;
    const sessionId = params['sessionId']!;
    const key = services.e2e.backup.keys.get(requester.userId, version(query), { roomId, sessionId })[roomId]?.[sessionId];
    if (!key) throw notFound('Key not found');
    return ok({ ...key });
  },
});

export const deleteRoomKeyBySessionId = endpoint({
  id: 'deleteRoomKeyBySessionId',
  method: 'DELETE',
  path: SESSION_KEY_PATH,
  aliases: r0(SESSION_KEY_PATH),
  auth: 'user',
  rateLimit: 'general',
  async handler({ services, requester, params, query }) {
    const scope = { roomId: params['roomId']!, sessionId: params['sessionId']! };
    return ok({ ...services.e2e.backup.keys.delete(requester.userId, version(query), scope) });
  },
});

export const keyBackupEndpoints = [
  postRoomKeysVersion,
  getRoomKeysVersionCurrent,
  getRoomKeysVersion,
  putRoomKeysVersion,
  deleteRoomKeysVersion,
  putRoomKeys,
  getRoomKeys,
  deleteRoomKeys,
  putRoomKeysByRoomId,
  getRoomKeysByRoomId,
  deleteRoomKeysByRoomId,
  putRoomKeyBySessionId,
  getRoomKeyBySessionId,
  deleteRoomKeyBySessionId,
];
