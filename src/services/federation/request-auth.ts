import type { JsonValue } from '../../core/json.js';
import { isValidServerName } from '../../core/server-name.js';
import { verifyJsonSignature } from '../../core/signing.js';
import { isXMatrixHeader, parseXMatrixHeader, XMatrixHeaderError, xMatrixSignable, type XMatrixCredentials } from '../../core/x-matrix.js';
import type { Clock } from '../clock.js';
import { ErrCode, MatrixError } from '../errors.js';
import type { KeyRing } from './keys.js';

/**
 * Inbound X-Matrix verification (server-server API "Request Authentication"): every X-Matrix
 * Authorization header must parse, name our server as destination (when it names one), come
 * from one origin, and carry a signature over {method, uri, origin, destination, content} that
 * verifies with the origin's key as the key ring knows it now. Any failure is 401 M_UNAUTHORIZED.
 */

export interface SignedRequest {
  readonly method: string;
  /** The request target as sent: percent-encoded path plus `?query` when there was one. */
  readonly uri: string;
  /** Every Authorization header value (a request may carry one per signing key). */
  readonly authorization: readonly string[];
  /** The parsed JSON body, if the request had one. */
  readonly content: JsonValue | undefined;
}

const unauthorized = (message: string): MatrixError => new MatrixError(401, ErrCode.UNAUTHORIZED, message);

export class FederationRequestAuth {
  constructor(
    private readonly serverName: string,
    private readonly keyRing: KeyRing,
    private readonly clock: Clock,
    /** Told about every origin that authenticated (the outbound queue wakes its destination). */
    private readonly onAuthenticated: (origin: string) => void = () => {},
  ) {}

  /** The verified origin server name; throws MatrixError 401 otherwise. */
  async authenticate(request: SignedRequest): Promise<string> {
    const headers = request.authorization.filter(isXMatrixHeader);
    if (headers.length === 0) throw unauthorized('Missing X-Matrix Authorization header');
    const credentials: XMatrixCredentials[] = headers.map((h) => {
      try {
        return parseXMatrixHeader(h);
      } catch (err) {
        if (err instanceof XMatrixHeaderError) throw unauthorized(`Malformed X-Matrix Authorization header: ${err.message}`);
        throw err;
      }
    });
    const origin = credentials[0]!.origin;
    if (!isValidServerName(origin)) throw unauthorized('X-Matrix origin is not a server name');
    for (const c of credentials) {
      if (c.origin !== origin) throw unauthorized('X-Matrix headers name different origins');
      if (c.destination !== undefined && c.destination !== this.serverName) {
        throw unauthorized(`X-Matrix destination ${JSON.stringify(c.destination)} is not this server`);
      }
    }

    const signable = xMatrixSignable({
      method: request.method,
      uri: request.uri,
      origin,
      destination: this.serverName,
      content: request.content,
    });
    const now = this.clock.now();
    // Every header must verify: a request carrying one good and one forged signature is forged.
    for (const c of credentials) {
      const publicKey = await this.keyRing.getVerifyKey(origin, c.key, now);
      if (!publicKey) throw unauthorized(`Cannot find ${origin}'s key ${c.key}`);
      const signed = { ...signable, signatures: { [origin]: { [c.key]: c.sig } } };
      // Lenient canonical JSON: a body with a float must fail on its signature, not on our parser.
      if (!verifyJsonSignature(signed, origin, c.key, publicKey, { strict: false })) {
        throw unauthorized('X-Matrix signature does not verify');
      }
    }
    this.onAuthenticated(origin);
    return origin;
  }
}
