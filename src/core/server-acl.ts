import { isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { parseServerName } from './server-name.js';

/**
 * Server access control lists (the m.room.server_acl state event, C-S "Server Access Control
 * Lists"): which servers may take part in a room. A server is denied when it is an IP literal
 * and `allow_ip_literals` is false, or matches a `deny` glob; otherwise it must match an `allow`
 * glob. Names are compared without their port; `*` matches any run of characters, `?` one.
 * Malformed content fails closed the way the spec says: a missing or non-list `allow` allows
 * nobody, a non-boolean `allow_ip_literals` counts as true, non-string entries are ignored.
 */

export interface ServerAcl {
  readonly allowIpLiterals: boolean;
  readonly allow: readonly RegExp[];
  readonly deny: readonly RegExp[];
}

/** Globs longer than this cannot name a server (255 bytes) and are ignored rather than compiled. */
const MAX_GLOB_LENGTH = 512;
/** An ACL with more entries than this is hostile; the rest are ignored. */
const MAX_GLOBS = 1000;

/** `*` → any run, `?` → one character, everything else literal; whole-name and case-insensitive. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') {
      // Runs of stars match the same as one, and collapsing them keeps matching linear.
      if (!source.endsWith('.*')) source += '.*';
    } else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'is');
}

function globs(value: JsonValue | undefined): RegExp[] {
  if (!Array.isArray(value)) return [];
  const out: RegExp[] = [];
  for (const entry of value.slice(0, MAX_GLOBS)) {
    if (typeof entry === 'string' && entry.length <= MAX_GLOB_LENGTH) out.push(globToRegExp(entry));
  }
  return out;
}

export function parseServerAcl(content: JsonObject): ServerAcl {
  const literals = Object.hasOwn(content, 'allow_ip_literals') ? content.allow_ip_literals : undefined;
  return {
    allowIpLiterals: typeof literals === 'boolean' ? literals : true,
    allow: globs(Object.hasOwn(content, 'allow') ? content.allow : undefined),
    deny: globs(Object.hasOwn(content, 'deny') ? content.deny : undefined),
  };
}

/** Whether `serverName` (port ignored) may take part in a room with this ACL. */
export function serverAllowedByAcl(acl: ServerAcl, serverName: string): boolean {
  const parsed = parseServerName(serverName);
  // Not a server name at all: nothing legitimate can come from it.
  if (!parsed) return false;
  const host = parsed.kind === 'ipv6' ? `[${parsed.host}]` : parsed.host;
  if (parsed.kind !== 'dns' && !acl.allowIpLiterals) return false;
  if (acl.deny.some((re) => re.test(host))) return false;
  return acl.allow.some((re) => re.test(host));
}

/** For content that may not be an object at all (a redacted ACL event keeps none of its keys). */
export function serverAclOf(content: JsonValue | undefined): ServerAcl {
  return parseServerAcl(isJsonObject(content) ? content : {});
}
