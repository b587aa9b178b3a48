import { MatrixError, ErrCode } from './errors.js';

/**
 * User-ID rules for accounts we create (spec appendix "User Identifiers"): the localpart grammar
 * `[a-z0-9._=\-/+]`, at most 255 bytes for the whole ID, and Synapse's reservations.
 */

const LOCALPART = /^[a-z0-9._=\-/+]+$/;
const MAX_USER_ID_LENGTH = 255;

export const invalidUsername = (message: string): MatrixError => new MatrixError(400, ErrCode.INVALID_USERNAME, message);

export function userIdFor(localpart: string, serverName: string): string {
  return `@${localpart}:${serverName}`;
}

/**
 * Maps a requested username to a valid localpart or throws M_INVALID_USERNAME. Upper case is
 * folded (the spec lets servers map usernames; Synapse does the same).
 */
export function checkLocalpart(username: string, serverName: string): string {
  const localpart = username.toLowerCase();
  if (localpart.length === 0) throw invalidUsername('User ID cannot be empty');
  if (!LOCALPART.test(localpart)) throw invalidUsername("User ID can only contain characters a-z, 0-9, or '=_-./+'");
  // Reserved by Synapse for application services' exclusive namespaces by convention.
  if (localpart.startsWith('_')) throw invalidUsername('User ID may not begin with _');
  if (Buffer.byteLength(userIdFor(localpart, serverName)) > MAX_USER_ID_LENGTH) throw invalidUsername('User ID is too long');
  return localpart;
}

/**
 * Reads a login identifier (a bare localpart or a full user ID) as a local user ID; undefined if
 * it names another server.
 */
export function localUserIdFrom(user: string, serverName: string): string | undefined {
  if (user.startsWith('@')) {
    const colon = user.indexOf(':');
    if (colon < 0) return undefined;
    if (user.slice(colon + 1) !== serverName) return undefined;
    return `@${user.slice(1, colon).toLowerCase()}:${serverName}`;
  }
  return userIdFor(user.toLowerCase(), serverName);
}

/** `@user:server` → server, or undefined when the string is not a user ID. */
export function serverOfUserId(userId: string): string | undefined {
  if (!userId.startsWith('@')) return undefined;
  const colon = userId.indexOf(':');
  return colon > 1 ? userId.slice(colon + 1) : undefined;
}
