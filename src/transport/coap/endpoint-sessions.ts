/**
 * What MSC3079 lets a client say once per "connection" and have remembered: the access token
 * (option 256) and the CBOR integer-key table version (option 257, or implied by the client
 * using integer keys). UDP has no connection, so the session is the endpoint (IP, port), kept
 * while it is active and forgotten after `idleMs` without traffic.
 *
 * Remembering a token for a bare IP:port is only safe when nobody else can send from that
 * address: loopback today. The `canRememberToken` policy is the hook for issue 4, where a DTLS
 * or OSCORE security context makes an endpoint trustworthy; without it a client must send the
 * token on every request (and gets M_MISSING_TOKEN if it does not).
 */

import type { CoapEndpoint } from './endpoint.js';

export interface EndpointSession {
  accessToken: string | undefined;
  /** The client reads integer keys (table v1) in responses. */
  integerKeys: boolean;
  lastSeen: number;
}

export class EndpointSessions {
  private readonly sessions = new Map<string, EndpointSession>();

  constructor(
    private readonly canRememberToken: (endpoint: CoapEndpoint) => boolean,
    private readonly idleMs: number,
    private readonly maxSessions: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The endpoint's session, refreshed; undefined if it never had anything worth remembering. */
  get(endpoint: CoapEndpoint): EndpointSession | undefined {
    const session = this.sessions.get(endpoint.key);
    if (session === undefined) return undefined;
    if (this.now() - session.lastSeen > this.idleMs) {
      this.sessions.delete(endpoint.key);
      return undefined;
    }
    this.touch(endpoint.key, session);
    return session;
  }

  rememberToken(endpoint: CoapEndpoint, token: string): void {
    if (!this.canRememberToken(endpoint)) return;
    this.upsert(endpoint).accessToken = token;
  }

  /** Drops a remembered token the server no longer accepts, so the next request says M_MISSING_TOKEN. */
  forgetToken(endpoint: CoapEndpoint, token: string): void {
    const session = this.sessions.get(endpoint.key);
    if (session?.accessToken === token) session.accessToken = undefined;
  }

  setIntegerKeys(endpoint: CoapEndpoint, integerKeys: boolean): void {
    const existing = this.get(endpoint);
    if (existing === undefined && !integerKeys) return;
    this.upsert(endpoint).integerKeys = integerKeys;
  }

  sweep(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) {
      if (now - session.lastSeen <= this.idleMs) break; // Map is in last-seen order
      this.sessions.delete(key);
    }
  }

  private upsert(endpoint: CoapEndpoint): EndpointSession {
    const session = this.get(endpoint) ?? { accessToken: undefined, integerKeys: false, lastSeen: this.now() };
    this.touch(endpoint.key, session);
    if (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next();
      if (!oldest.done) this.sessions.delete(oldest.value);
    }
    return session;
  }

  private touch(key: string, session: EndpointSession): void {
    session.lastSeen = this.now();
    this.sessions.delete(key);
    this.sessions.set(key, session);
  }
}
