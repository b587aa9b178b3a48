import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * The SSRF guard: federation traffic is steered by names other servers choose (server names,
 * .well-known delegations, SRV targets), so without this a hostile peer could point us at our
 * own loopback, the cloud metadata address or the LAN. Every address we are about to connect to
 * is checked against the blacklist (Synapse's ip_range_blacklist defaults) unless the whitelist
 * lets it through; addresses reached through federation_address_overrides skip the check, since
 * the operator chose them. IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) are checked as the IPv4
 * address they carry.
 */
export class IpGuard {
  private readonly blacklist = new BlockList();
  private readonly whitelist = new BlockList();

  constructor(blacklist: readonly string[], whitelist: readonly string[] = []) {
    for (const range of blacklist) addRange(this.blacklist, range);
    for (const range of whitelist) addRange(this.whitelist, range);
  }

  /** True when `address` (an IP literal) may be connected to. Non-IP input is never allowed. */
  allows(address: string): boolean {
    const ip = unmapIPv4(stripZone(address));
    const family = isIP(ip);
    if (family === 0) return false;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (this.whitelist.check(ip, type)) return true;
    return !this.blacklist.check(ip, type);
  }
}

function addRange(list: BlockList, range: string): void {
  const [address, prefix] = range.split('/') as [string, string | undefined];
  const type = isIPv4(address) ? 'ipv4' : 'ipv6';
  list.addSubnet(address, prefix === undefined ? (type === 'ipv4' ? 32 : 128) : Number(prefix), type);
}

/** `fe80::1%eth0` → `fe80::1`: the zone does not change which range the address is in. */
function stripZone(address: string): string {
  const percent = address.indexOf('%');
  return percent < 0 ? address : address.slice(0, percent);
}

/** `::ffff:a.b.c.d` (or its hex spelling) → `a.b.c.d`; anything else unchanged. */
function unmapIPv4(address: string): string {
  const m = /^(?:0{0,4}:){0,5}:?ffff:(.+)$/i.exec(address);
  if (!m || isIP(address) !== 6) return address;
  const tail = m[1]!;
  if (isIPv4(tail)) return tail;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(tail);
  if (!hex) return address;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
