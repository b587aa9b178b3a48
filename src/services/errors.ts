import type { JsonObject } from '../core/json.js';

/**
 * Matrix errors: the one place that lists the error codes we use and their usual HTTP status.
 * Services throw MatrixError; transports render it (dispatch turns it into a response), so no
 * service ever touches HTTP or CoAP.
 */

export const ErrCode = {
  FORBIDDEN: 'M_FORBIDDEN',
  UNKNOWN_TOKEN: 'M_UNKNOWN_TOKEN',
  MISSING_TOKEN: 'M_MISSING_TOKEN',
  USER_LOCKED: 'M_USER_LOCKED',
  USER_SUSPENDED: 'M_USER_SUSPENDED',
  USER_DEACTIVATED: 'M_USER_DEACTIVATED',
  BAD_JSON: 'M_BAD_JSON',
  NOT_JSON: 'M_NOT_JSON',
  NOT_FOUND: 'M_NOT_FOUND',
  LIMIT_EXCEEDED: 'M_LIMIT_EXCEEDED',
  UNRECOGNIZED: 'M_UNRECOGNIZED',
  UNKNOWN: 'M_UNKNOWN',
  UNAUTHORIZED: 'M_UNAUTHORIZED',
  USER_IN_USE: 'M_USER_IN_USE',
  INVALID_USERNAME: 'M_INVALID_USERNAME',
  ROOM_IN_USE: 'M_ROOM_IN_USE',
  INVALID_ROOM_STATE: 'M_INVALID_ROOM_STATE',
  UNSUPPORTED_ROOM_VERSION: 'M_UNSUPPORTED_ROOM_VERSION',
  INCOMPATIBLE_ROOM_VERSION: 'M_INCOMPATIBLE_ROOM_VERSION',
  BAD_STATE: 'M_BAD_STATE',
  GUEST_ACCESS_FORBIDDEN: 'M_GUEST_ACCESS_FORBIDDEN',
  MISSING_PARAM: 'M_MISSING_PARAM',
  INVALID_PARAM: 'M_INVALID_PARAM',
  TOO_LARGE: 'M_TOO_LARGE',
  EXCLUSIVE: 'M_EXCLUSIVE',
  WEAK_PASSWORD: 'M_WEAK_PASSWORD',
  SERVER_NOT_TRUSTED: 'M_SERVER_NOT_TRUSTED',
  PROFILE_TOO_LARGE: 'M_PROFILE_TOO_LARGE',
  KEY_TOO_LARGE: 'M_KEY_TOO_LARGE',
  WRONG_ROOM_KEYS_VERSION: 'M_WRONG_ROOM_KEYS_VERSION',
} as const;
export type ErrCode = (typeof ErrCode)[keyof typeof ErrCode];

export class MatrixError extends Error {
  override name = 'MatrixError';
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    /** Extra top-level body fields: soft_logout, retry_after_ms, or a whole UIA response. */
    readonly extra: Readonly<JsonObject> = {},
    /** Extra response headers (Retry-After). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  body(): JsonObject {
    return { ...this.extra, errcode: this.errcode, error: this.message };
  }
}

// Constructors for the common cases, so the status that goes with each code is written once.
export const forbidden = (message: string): MatrixError => new MatrixError(403, ErrCode.FORBIDDEN, message);
export const notFound = (message: string): MatrixError => new MatrixError(404, ErrCode.NOT_FOUND, message);
export const badJson = (message: string): MatrixError => new MatrixError(400, ErrCode.BAD_JSON, message);
export const notJson = (message: string): MatrixError => new MatrixError(400, ErrCode.NOT_JSON, message);
export const missingParam = (message: string): MatrixError => new MatrixError(400, ErrCode.MISSING_PARAM, message);
export const invalidParam = (message: string): MatrixError => new MatrixError(400, ErrCode.INVALID_PARAM, message);
export const missingToken = (): MatrixError => new MatrixError(401, ErrCode.MISSING_TOKEN, 'Missing access token');
export const unknownToken = (message: string, softLogout: boolean): MatrixError =>
  new MatrixError(401, ErrCode.UNKNOWN_TOKEN, message, { soft_logout: softLogout });
export const unrecognized = (status: 404 | 405 | 400, message: string): MatrixError =>
  new MatrixError(status, ErrCode.UNRECOGNIZED, message);
export const tooLarge = (message: string): MatrixError => new MatrixError(413, ErrCode.TOO_LARGE, message);

export function limitExceeded(retryAfterMs: number): MatrixError {
  const ms = Math.max(1, Math.ceil(retryAfterMs));
  // Retry-After is in whole seconds (RFC 9110); round up so a client that obeys it succeeds.
  return new MatrixError(
    429,
    ErrCode.LIMIT_EXCEEDED,
    'Too many requests',
    { retry_after_ms: ms },
    { 'Retry-After': String(Math.ceil(ms / 1000)) },
  );
}
