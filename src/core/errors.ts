/**
 * Base of every error the core throws for bad input (as opposed to bugs). Callers catch this
 * one class to turn hostile or malformed data into a clean rejection.
 */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}
