import type { HomeserverConfig } from '../config.js';
import { isJsonObject, type JsonObject } from '../core/json.js';
import type { Storage } from '../storage/storage.js';
import { ErrCode, forbidden, MatrixError } from './errors.js';
import { verifyAgainstNothing, verifyPassword } from './passwords.js';
import type { RateLimiter } from './rate-limit.js';
import type { IssuedSession, SessionService } from './sessions.js';
import { localUserIdFrom } from './user-ids.js';

/**
 * Password login (POST /login with m.login.password) and the password check shared with the
 * m.login.password UIA stage. Failed attempts are rate-limited per account (rc_login.failed_attempts)
 * and logins per account (rc_login.account); per-address limits are applied by dispatch.
 */

export const LOGIN_TYPE_PASSWORD = 'm.login.password';

export interface PasswordLoginRequest {
  readonly type: string;
  readonly identifier?: JsonObject | undefined;
  /** Deprecated top-level user field. */
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly device_id?: string | undefined;
  readonly initial_device_display_name?: string | undefined;
  readonly refresh_token?: boolean | undefined;
}

const badLogin = (): MatrixError => forbidden('Invalid username or password');

export class LoginService {
  constructor(
    private readonly config: HomeserverConfig,
    private readonly storage: Storage,
    private readonly sessions: SessionService,
    private readonly rateLimiter: RateLimiter,
  ) {}

  async login(request: PasswordLoginRequest, clientIp: string): Promise<IssuedSession> {
    if (request.type !== LOGIN_TYPE_PASSWORD) throw new MatrixError(400, ErrCode.UNKNOWN, `Unsupported login type ${request.type}`);
    if (typeof request.password !== 'string') throw new MatrixError(400, ErrCode.MISSING_PARAM, "Missing 'password'");
    const userId = this.userIdFrom(request);
    const limits = this.config.rateLimits.login;
    this.rateLimiter.take('login.account', userId, limits.account);
    if (!(await this.checkPassword(userId, request.password, { requireActive: false }))) throw badLogin();
    const account = this.storage.accounts.get(userId);
    if (!account || account.deactivated) throw new MatrixError(403, ErrCode.USER_DEACTIVATED, 'This account has been deactivated');
    return this.sessions.issue({
      userId,
      deviceId: request.device_id,
      initialDisplayName: request.initial_device_display_name,
      refreshable: request.refresh_token === true,
      clientIp,
    });
  }

  /**
   * Verifies a user's password, counting failures against rc_login.failed_attempts.
   * Unknown users cost the same time as known ones.
   */
  async checkPassword(userId: string, password: string, options: { requireActive: boolean }): Promise<boolean> {
    const failures = this.config.rateLimits.login.failedAttempts;
    this.rateLimiter.check('login.failed', userId, failures);
    const account = this.storage.accounts.get(userId);
    const ok =
      account && account.passwordHash !== null && (!options.requireActive || !account.deactivated)
        ? await verifyPassword(password, account.passwordHash)
        : await verifyAgainstNothing(password);
    if (!ok) this.rateLimiter.record('login.failed', userId, failures);
    return ok;
  }

  /** The m.login.password UIA stage: `auth` must identify `userId` and carry its password. */
  async checkUiaPassword(userId: string, auth: JsonObject): Promise<boolean> {
    const password = auth['password'];
    if (typeof password !== 'string') return false;
    const identifier = isJsonObject(auth['identifier']) ? auth['identifier'] : undefined;
    const user = typeof auth['user'] === 'string' ? auth['user'] : undefined;
    if (identifier !== undefined || user !== undefined) {
      let named: string;
      try {
        named = this.userIdFrom({ type: LOGIN_TYPE_PASSWORD, identifier, user });
      } catch {
        return false;
      }
      if (named !== userId) return false;
    }
    return this.checkPassword(userId, password, { requireActive: true });
  }

  private userIdFrom(request: Pick<PasswordLoginRequest, 'identifier' | 'user' | 'type'>): string {
    let user: string | undefined;
    if (request.identifier !== undefined) {
      const type = request.identifier['type'];
      if (type !== 'm.id.user') throw new MatrixError(400, ErrCode.UNKNOWN, `Unsupported identifier type ${String(type)}`);
      const value = request.identifier['user'];
      if (typeof value !== 'string') throw new MatrixError(400, ErrCode.BAD_JSON, "'identifier.user' must be a string");
      user = value;
    } else {
      user = request.user;
    }
    if (user === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, "Missing 'identifier'");
    const userId = localUserIdFrom(user, this.config.serverName);
    if (userId === undefined) throw badLogin();
    return userId;
  }
}
