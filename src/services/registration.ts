import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HomeserverConfig } from '../config.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import type { Storage } from '../storage/storage.js';
import type { Clock } from './clock.js';
import { ErrCode, forbidden, MatrixError } from './errors.js';
import { hashPassword } from './passwords.js';
import { newLocalpart, newSessionId } from './secrets.js';
import type { RateLimiter } from './rate-limit.js';
import type { IssuedSession, SessionService } from './sessions.js';
import { STAGE, type Flow, type UserInteractiveAuth } from './uia.js';
import { checkLocalpart, userIdFor } from './user-ids.js';

/**
 * Creating accounts: POST /register (with user-interactive auth), username availability,
 * Synapse's shared-secret admin registration, and `lattice register-user`.
 */

export interface RegisterRequest {
  readonly auth?: JsonValue | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly device_id?: string | undefined;
  readonly initial_device_display_name?: string | undefined;
  readonly inhibit_login?: boolean | undefined;
  readonly refresh_token?: boolean | undefined;
}

export interface NewAccount {
  readonly localpart: string;
  readonly password?: string | undefined;
  readonly admin?: boolean;
  readonly displayname?: string | undefined;
  readonly userType?: string | null;
}

/** Synapse rejects longer passwords (bcrypt's limit); we keep the same bound for scrypt's cost. */
export const MAX_PASSWORD_LENGTH = 512;
const NONCE_LIFETIME_MS = 60_000;
const MAX_NONCES = 1000;

export const userInUse = (): MatrixError => new MatrixError(400, ErrCode.USER_IN_USE, 'User ID already taken');

export class RegistrationService {
  private readonly nonces = new Map<string, number>();

  constructor(
    private readonly config: HomeserverConfig,
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly sessions: SessionService,
    private readonly uia: UserInteractiveAuth,
    private readonly rateLimiter: RateLimiter,
  ) {
    for (const t of config.registrationTokens) storage.registrationTokens.define(t.token, t.usesAllowed);
  }

  /** Registration flows offered by POST /register. */
  flows(): Flow[] {
    return this.config.registrationRequiresToken ? [[STAGE.registrationToken]] : [[STAGE.dummy]];
  }

  /** Whether POST /register can succeed at all (open, or open with a token). */
  get registrationEnabled(): boolean {
    return this.config.enableRegistration || this.config.registrationRequiresToken;
  }

  async register(request: RegisterRequest, kind: string, clientIp: string): Promise<JsonObject> {
    if (kind === 'guest') throw forbidden('Guest access is disabled');
    if (kind !== 'user') throw new MatrixError(400, ErrCode.INVALID_PARAM, `Unknown account kind ${kind}`);
    if (!this.registrationEnabled) throw forbidden('Registration has been disabled');
    // Username problems are reported before authentication (the spec requires it).
    const localpart = request.username !== undefined ? checkLocalpart(request.username, this.config.serverName) : undefined;
    if (localpart !== undefined && this.storage.accounts.get(userIdFor(localpart, this.config.serverName))) throw userInUse();
    checkPasswordLength(request.password);
    checkDeviceId(request.device_id);

    const result = await this.uia.authenticate({ operation: 'register', auth: request.auth, flows: this.flows(), clientIp });
    // Counted here, per address, once authentication is done (dispatch only checked the bucket).
    this.rateLimiter.take('registration', clientIp, this.config.rateLimits.registration);

    const created = await this.createAccount(
      { localpart: localpart ?? this.freeLocalpart(), password: request.password },
      {
        registrationToken: result.registrationToken,
        login: request.inhibit_login
          ? undefined
          : {
              deviceId: request.device_id,
              initialDisplayName: request.initial_device_display_name,
              refreshable: request.refresh_token === true,
              clientIp,
            },
      },
    );
    if (!created.login) return { user_id: created.userId, home_server: this.config.serverName };
    return sessionJson(created.login, this.config.serverName);
  }

  /** GET /register/available: true, or M_INVALID_USERNAME / M_USER_IN_USE. */
  checkAvailable(username: string): void {
    const localpart = checkLocalpart(username, this.config.serverName);
    if (this.storage.accounts.get(userIdFor(localpart, this.config.serverName))) throw userInUse();
  }

  /** GET .../registration_token/validity: rate-limited, since it answers token guesses. */
  checkTokenValidity(token: string, clientIp: string): boolean {
    this.rateLimiter.take('registration_token_validity', clientIp, this.config.rateLimits.registrationTokenValidity);
    return this.registrationTokenValid(token);
  }

  registrationTokenValid(token: string): boolean {
    const t = this.storage.registrationTokens.get(token);
    if (!t) return false;
    if (t.expiryTs !== null && t.expiryTs <= this.clock.now()) return false;
    return t.usesAllowed === null || t.completed < t.usesAllowed;
  }

  /**
   * Creates the account (and optionally its first session) in one transaction, so a crash never
   * leaves an account without its profile or a token counted without its account.
   */
  async createAccount(
    account: NewAccount,
    options: {
      registrationToken?: string | undefined;
      login?: { deviceId?: string | undefined; initialDisplayName?: string | undefined; refreshable: boolean; clientIp: string | null } | undefined;
    } = {},
  ): Promise<{ userId: string; login: IssuedSession | undefined }> {
    const localpart = checkLocalpart(account.localpart, this.config.serverName);
    checkPasswordLength(account.password);
    const userId = userIdFor(localpart, this.config.serverName);
    const passwordHash = account.password !== undefined ? await hashPassword(account.password) : null;
    const now = this.clock.now();
    return this.storage.transaction(() => {
      if (options.registrationToken !== undefined && !this.storage.registrationTokens.use(options.registrationToken, now)) {
        throw new MatrixError(401, ErrCode.UNAUTHORIZED, 'Registration token is no longer valid');
      }
      const inserted = this.storage.accounts.insert({
        userId,
        passwordHash,
        isAdmin: account.admin === true,
        isGuest: false,
        userType: account.userType ?? null,
        createdTs: now,
      });
      if (!inserted) throw userInUse();
      // Synapse's default display name is the localpart.
      this.storage.profiles.put(userId, { displayname: account.displayname ?? localpart, avatarUrl: null, extra: {} });
      const login = options.login && this.sessions.issue({ userId, ...options.login });
      return { userId, login };
    });
  }

  // ---- Synapse's shared-secret registration (/_synapse/admin/v1/register) ----------------

  newNonce(): string {
    const now = this.clock.now();
    for (const [nonce, expires] of this.nonces) {
      if (expires > now && this.nonces.size < MAX_NONCES) break;
      this.nonces.delete(nonce);
    }
    const nonce = newSessionId();
    this.nonces.set(nonce, now + NONCE_LIFETIME_MS);
    return nonce;
  }

  /**
   * Verifies `mac` = HMAC-SHA1(secret, nonce \0 username \0 password \0 admin|notadmin [\0 user_type])
   * over a nonce we issued, then creates the account and logs it in.
   */
  async registerWithSharedSecret(request: {
    nonce: string;
    username: string;
    password: string;
    mac: string;
    admin?: boolean | undefined;
    displayname?: string | undefined;
    user_type?: string | null | undefined;
  }): Promise<JsonObject> {
    const secret = this.config.registrationSharedSecret;
    if (secret === undefined) throw new MatrixError(400, ErrCode.UNKNOWN, 'Shared secret registration is not enabled');
    const expires = this.nonces.get(request.nonce);
    if (expires === undefined || expires <= this.clock.now()) throw new MatrixError(400, ErrCode.UNKNOWN, 'Unrecognised nonce');
    this.nonces.delete(request.nonce); // single use, whatever happens next
    const hmac = createHmac('sha1', secret);
    hmac.update(request.nonce).update('\x00').update(request.username).update('\x00').update(request.password);
    hmac.update('\x00').update(request.admin ? 'admin' : 'notadmin');
    if (request.user_type) hmac.update('\x00').update(request.user_type);
    const expected = Buffer.from(hmac.digest('hex'));
    const given = Buffer.from(request.mac.toLowerCase());
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw forbidden('HMAC incorrect');
    const created = await this.createAccount(
      {
        localpart: request.username,
        password: request.password,
        admin: request.admin === true,
        displayname: request.displayname,
        userType: request.user_type ?? null,
      },
      { login: { refreshable: false, clientIp: null } },
    );
    return sessionJson(created.login!, this.config.serverName);
  }

  private freeLocalpart(): string {
    for (;;) {
      const localpart = newLocalpart();
      if (!this.storage.accounts.get(userIdFor(localpart, this.config.serverName))) return localpart;
    }
  }
}

export function sessionJson(session: IssuedSession, serverName: string): JsonObject {
  const out: JsonObject = {
    user_id: session.userId,
    access_token: session.accessToken,
    device_id: session.deviceId,
    home_server: serverName,
  };
  if (session.refreshToken !== undefined) out['refresh_token'] = session.refreshToken;
  if (session.expiresInMs !== undefined) out['expires_in_ms'] = session.expiresInMs;
  return out;
}

function checkPasswordLength(password: string | undefined): void {
  if (password !== undefined && password.length > MAX_PASSWORD_LENGTH) {
    throw new MatrixError(400, ErrCode.INVALID_PARAM, `Password too long (at most ${MAX_PASSWORD_LENGTH} characters)`);
  }
}

/** Client-chosen device IDs end up in URLs and keys: bound them. */
export function checkDeviceId(deviceId: string | undefined): void {
  if (deviceId !== undefined && (deviceId.length === 0 || deviceId.length > 255)) {
    throw new MatrixError(400, ErrCode.INVALID_PARAM, "'device_id' must be 1 to 255 characters");
  }
}
