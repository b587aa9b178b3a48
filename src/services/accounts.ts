import type { JsonValue } from '../core/json.js';
import type { Storage } from '../storage/storage.js';
import type { DeviceService } from './devices.js';
import { ErrCode, MatrixError } from './errors.js';
import type { Logger } from './logger.js';
import { hashPassword } from './passwords.js';
import { MAX_PASSWORD_LENGTH } from './registration.js';
import type { Requester } from './requester.js';
import { STAGE, type UserInteractiveAuth } from './uia.js';

/**
 * Changes to an existing account: password change and deactivation, both behind
 * user-interactive auth with the account's password.
 */

export type DeactivatedListener = (userId: string) => void;

export class AccountService {
  private readonly deactivatedListeners: DeactivatedListener[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly uia: UserInteractiveAuth,
    private readonly devices: DeviceService,
    private readonly log: Logger,
  ) {}

  /** Room services subscribe here to make a deactivated user leave their rooms. */
  onDeactivated(listener: DeactivatedListener): void {
    this.deactivatedListeners.push(listener);
  }

  async changePassword(
    requester: Requester,
    request: { new_password: string; logout_devices?: boolean | undefined; auth?: JsonValue | undefined },
    clientIp: string,
  ): Promise<void> {
    if (request.new_password.length === 0) throw new MatrixError(400, ErrCode.WEAK_PASSWORD, 'Password cannot be empty');
    if (request.new_password.length > MAX_PASSWORD_LENGTH) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Password too long');
    await this.uia.authenticate({
      operation: 'changePassword',
      auth: request.auth,
      flows: [[STAGE.password]],
      userId: requester.userId,
      clientIp,
    });
    const hash = await hashPassword(request.new_password);
    this.storage.transaction(() => {
      this.storage.accounts.setPasswordHash(requester.userId, hash);
      // Default true (spec): other sessions are revoked, with their devices.
      if (request.logout_devices !== false) this.devices.deleteAll(requester.userId, requester.deviceId);
    });
  }

  async deactivate(requester: Requester, request: { auth?: JsonValue | undefined }, clientIp: string): Promise<void> {
    await this.uia.authenticate({
      operation: 'deactivateAccount',
      auth: request.auth,
      flows: [[STAGE.password]],
      userId: requester.userId,
      clientIp,
    });
    const userId = requester.userId;
    this.storage.transaction(() => {
      this.storage.accounts.setDeactivated(userId, true);
      // The ID stays taken forever (it can never be registered again); nothing can log in as it.
      this.storage.accounts.setPasswordHash(userId, null);
      this.storage.profiles.put(userId, { displayname: null, avatarUrl: null, extra: {} });
      this.devices.deleteAll(userId);
    });
    for (const listener of this.deactivatedListeners) {
      try {
        listener(userId);
      } catch (err) {
        this.log.error({ err, userId }, 'deactivation listener failed');
      }
    }
  }
}
