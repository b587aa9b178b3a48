import { randomBytes } from 'node:crypto';
import type { JsonObject } from '../../../core/json.js';
import type { Storage } from '../../../storage/storage.js';
import type { Clock } from '../../clock.js';
import { ErrCode, MatrixError, forbidden } from '../../errors.js';
import type { Requester } from '../../requester.js';
import { hashToken } from '../../secrets.js';

/**
 * OpenID (client openid.yaml, server-server openid.yaml): a client asks for a short-lived token
 * that proves its identity to a third party, which asks us (GET /openid/userinfo) who it belongs
 * to. The token grants nothing else; only its hash is stored.
 */

/** Synapse's default lifetime: one hour. */
const LIFETIME_MS = 3_600_000;

export class OpenIdTokens {
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly serverName: string,
  ) {}

  /** POST /user/{userId}/openid/request_token. */
  issue(requester: Requester, userId: string): JsonObject {
    if (requester.userId !== userId) throw forbidden('You can only request an OpenID token for yourself');
    const now = this.clock.now();
    const token = 'lto_' + randomBytes(32).toString('base64url');
    this.storage.transaction(() => {
      this.storage.openIdTokens.purgeExpired(now);
      this.storage.openIdTokens.insert(hashToken(token), userId, now + LIFETIME_MS);
    });
    return { access_token: token, token_type: 'Bearer', matrix_server_name: this.serverName, expires_in: LIFETIME_MS / 1000 };
  }

  /** GET /_matrix/federation/v1/openid/userinfo. */
  userInfo(token: string): JsonObject {
    const userId = this.storage.openIdTokens.userOf(hashToken(token), this.clock.now());
    if (userId === undefined) throw new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'Access token unknown or expired');
    return { sub: userId };
  }
}
