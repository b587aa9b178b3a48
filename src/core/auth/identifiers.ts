/**
 * The little identifier parsing the auth rules need: user-ID validation (for `users` keys in
 * power levels and v12 `additional_creators`) and the domain part of user, room and v1/v2 event
 * IDs. Kept local to auth so the rules do not wait on a general identifiers module; the grammar is
 * the spec appendix's "Identifier Grammar".
 */

const MAX_USER_ID_BYTES = 255;

/**
 * Whether `value` is a user ID the auth rules must accept: `@localpart:server_name`, at most 255
 * bytes. The localpart follows the *historical* grammar (any code points except `:` and NUL, even
 * empty), because servers MUST accept such IDs in events over federation; only the server name is
 * held to the strict grammar.
 */
export function isValidUserId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length < 2 || value[0] !== '@') return false;
  if (Buffer.byteLength(value, 'utf8') > MAX_USER_ID_BYTES) return false;
  const colon = value.indexOf(':');
  if (colon < 0) return false;
  const localpart = value.slice(1, colon);
  if (localpart.includes('\u0000')) return false;
  // Lone surrogates cannot be encoded as UTF-8, so they never appear in a real event.
  if (!localpart.isWellFormed()) return false;
  return isValidServerName(value.slice(colon + 1));
}

const DNS_NAME = /^[A-Za-z0-9.-]{1,255}$/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const IPV6_LITERAL = /^\[[0-9A-Fa-f:.]{2,45}\]$/;

/** `hostname [":" port]` with hostname an IPv4 literal, a bracketed IPv6 literal or a DNS name. */
export function isValidServerName(value: string): boolean {
  let host = value;
  // The port is whatever follows the last colon outside IPv6 brackets.
  const lastColon = value.lastIndexOf(':');
  if (lastColon >= 0 && lastColon > value.lastIndexOf(']')) {
    const port = value.slice(lastColon + 1);
    if (!/^\d{1,5}$/.test(port)) return false;
    host = value.slice(0, lastColon);
  }
  if (host.startsWith('[')) return IPV6_LITERAL.test(host);
  if (IPV4.test(host)) return host.split('.').every((octet) => Number(octet) <= 255);
  return DNS_NAME.test(host);
}

/**
 * The domain of a `&localpart:domain` identifier: everything after the first colon (localparts
 * never contain one; server names may, for the port). Undefined when there is no colon, e.g. for
 * v3+ event IDs or v12 room IDs.
 */
export function domainOf(id: string): string | undefined {
  const colon = id.indexOf(':');
  return colon < 0 ? undefined : id.slice(colon + 1);
}
