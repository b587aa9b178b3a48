import type { JsonObject } from '../../../core/json.js';
import { ErrCode, MatrixError } from '../../errors.js';
import { FederationHttpError, FederationRequestError } from '../federation-client.js';

/**
 * What a client hears when the servers it asked us to go through all failed. A remote refusal
 * (403 not invited, 400 incompatible room version, 404 unknown room) is passed through, as the
 * spec asks ("the error should be passed through to clients"), except M_MISSING_PARAM and
 * M_INVALID_PARAM, which say something about our request, not the client's: those become a 502.
 * When nobody answered at all: 404 M_UNKNOWN "No known servers", as Synapse says.
 */
export function remoteFailure(errors: readonly unknown[], what: string): MatrixError {
  let best: MatrixError | undefined;
  for (const err of errors) {
    if (err instanceof MatrixError) best ??= err;
    if (!(err instanceof FederationHttpError)) continue;
    const errcode = err.errcode ?? ErrCode.UNKNOWN;
    if (err.status >= 400 && err.status < 500 && errcode !== ErrCode.MISSING_PARAM && errcode !== ErrCode.INVALID_PARAM) {
      const extra: JsonObject = err.body && typeof err.body.room_version === 'string' ? { room_version: err.body.room_version } : {};
      return new MatrixError(err.status, errcode, err.errorText ?? `${what} was refused`, extra);
    }
    best ??= new MatrixError(502, ErrCode.UNKNOWN, `${what} failed: ${err.message}`);
  }
  if (best) return best;
  const answered = errors.some((err) => !(err instanceof FederationRequestError));
  return answered
    ? new MatrixError(502, ErrCode.UNKNOWN, `${what} failed: the remote servers sent unusable answers`)
    : new MatrixError(404, ErrCode.UNKNOWN, 'No known servers');
}

/** A short description of an error for the logs. */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
