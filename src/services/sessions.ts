import type { Storage } from '../storage/storage.js';
import type { Clock } from './clock.js';
import { unknownToken } from './errors.js';
import type { Requester } from './requester.js';
import { hashToken, newAccessToken, newDeviceId, newRefreshToken } from './secrets.js';

/**
 * Sessions: a device plus its access token (and, for clients that asked, a refresh token).
 * Issues them at login/registration, turns a bearer token back into a Requester on every
 * request, and rotates refresh tokens (spec "Refreshing access tokens").
 */

export interface IssuedSession {
  readonly userId: string;
  readonly deviceId: string;
  readonly accessToken: string;
  /** Present when the client asked for refresh tokens; the access token then expires. */
  readonly refreshToken?: string;
  readonly expiresInMs?: number;
}

/** A new device came into being at login or registration (not a known one logging in again). */
export type DeviceCreatedListener = (userId: string, deviceId: string) => void;

export interface IssueOptions {
  readonly userId: string;
  /** Reuse this device (replacing its tokens) or create it; a new ID is generated if absent. */
  readonly deviceId?: string | undefined;
  readonly initialDisplayName?: string | undefined;
  readonly refreshable: boolean;
  readonly clientIp: string | null;
}

/** How stale devices.last_seen_* may get: writing on every request would cost a commit each. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

export class SessionService {
  private readonly lastSeenWritten = new Map<number, number>();
  private readonly createdListeners: DeviceCreatedListener[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly refreshableLifetimeMs: number,
  ) {}

  /** Called inside the transaction that creates the device (end-to-end encryption's device lists). */
  onDeviceCreated(listener: DeviceCreatedListener): void {
    this.createdListeners.push(listener);
  }

  /**
   * Creates (or reuses) the device and issues its tokens. Synchronous storage work: call it
   * inside the caller's transaction when it belongs with other writes (registration).
   */
  issue(options: IssueOptions): IssuedSession {
    const { storage } = this;
    const now = this.clock.now();
    const deviceId = options.deviceId ?? newDeviceId();
    return storage.transaction(() => {
      const created = storage.devices.ensure({
        userId: options.userId,
        deviceId,
        displayName: options.initialDisplayName ?? null,
        createdTs: now,
        ip: options.clientIp,
      });
      // Logging in again on a known device replaces its session: one live token per device.
      if (!created) storage.tokens.deleteTokensForDevice(options.userId, deviceId);
      else for (const listener of this.createdListeners) listener(options.userId, deviceId);
      const accessToken = newAccessToken();
      if (!options.refreshable) {
        storage.tokens.insertAccessToken({
          hash: hashToken(accessToken),
          userId: options.userId,
          deviceId,
          refreshTokenId: null,
          createdTs: now,
          expiresTs: null,
        });
        return { userId: options.userId, deviceId, accessToken };
      }
      const refreshToken = newRefreshToken();
      const refreshId = storage.tokens.insertRefreshToken({ hash: hashToken(refreshToken), userId: options.userId, deviceId, createdTs: now });
      storage.tokens.insertAccessToken({
        hash: hashToken(accessToken),
        userId: options.userId,
        deviceId,
        refreshTokenId: refreshId,
        createdTs: now,
        expiresTs: now + this.refreshableLifetimeMs,
      });
      return { userId: options.userId, deviceId, accessToken, refreshToken, expiresInMs: this.refreshableLifetimeMs };
    });
  }

  /** Bearer token → Requester, or M_UNKNOWN_TOKEN (soft_logout when it merely expired). */
  authenticate(accessToken: string, clientIp: string): Requester {
    const token = this.storage.tokens.findAccessToken(hashToken(accessToken));
    if (!token || token.deactivated) throw unknownToken('Unknown access token', false);
    const now = this.clock.now();
    if (token.expiresTs !== null && token.expiresTs <= now) {
      // The session is still there: the client may refresh (or re-login to the same device).
      throw unknownToken('Access token has expired', true);
    }
    if (token.refreshTokenId !== null && !token.used) {
      // First use of a refreshed session: the refresh token it replaced is now retired.
      const refreshTokenId = token.refreshTokenId;
      this.storage.transaction(() => {
        this.storage.tokens.markAccessTokenUsed(token.id);
        this.storage.tokens.deletePredecessorsOf(refreshTokenId);
      });
    }
    if (this.lastSeenWritten.size > 100_000) this.lastSeenWritten.clear(); // bounded; a miss costs one write
    const written = this.lastSeenWritten.get(token.id);
    if (written === undefined || now - written >= LAST_SEEN_RESOLUTION_MS) {
      this.lastSeenWritten.set(token.id, now);
      this.storage.devices.touch(token.userId, token.deviceId, now, clientIp);
    }
    return { userId: token.userId, deviceId: token.deviceId, accessTokenId: token.id, isAdmin: token.isAdmin };
  }

  /**
   * POST /refresh: a new access + refresh token pair. The presented refresh token stays valid
   * until the new pair is first used (a client whose response got lost can retry); its old
   * access token stops working at once.
   */
  refresh(refreshToken: string): { accessToken: string; refreshToken: string; expiresInMs: number } {
    const { storage } = this;
    const row = storage.tokens.findRefreshToken(hashToken(refreshToken));
    if (!row) throw unknownToken('Unknown refresh token', false);
    const now = this.clock.now();
    return storage.transaction(() => {
      // A successor issued earlier was never used (the client is retrying): void it.
      if (row.nextTokenId !== null) storage.tokens.deleteRefreshToken(row.nextTokenId);
      // This token is in use, so whatever it replaced is retired.
      storage.tokens.deletePredecessorsOf(row.id);
      storage.tokens.deleteAccessTokensForRefreshToken(row.id);
      const newRefresh = newRefreshToken();
      const newRefreshId = storage.tokens.insertRefreshToken({ hash: hashToken(newRefresh), userId: row.userId, deviceId: row.deviceId, createdTs: now });
      storage.tokens.setNextRefreshToken(row.id, newRefreshId);
      const accessToken = newAccessToken();
      storage.tokens.insertAccessToken({
        hash: hashToken(accessToken),
        userId: row.userId,
        deviceId: row.deviceId,
        refreshTokenId: newRefreshId,
        createdTs: now,
        expiresTs: now + this.refreshableLifetimeMs,
      });
      return { accessToken, refreshToken: newRefresh, expiresInMs: this.refreshableLifetimeMs };
    });
  }

  /** Forgets the in-memory last-seen marker of a token that is gone. */
  forgetToken(accessTokenId: number): void {
    this.lastSeenWritten.delete(accessTokenId);
  }
}
