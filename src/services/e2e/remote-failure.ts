import type { JsonObject } from '../../core/json.js';
import { FederationHttpError, FederationTimeoutError } from '../federation/federation-client.js';

/**
 * A server's entry in `failures` of /keys/query and /keys/claim: the server could not be asked,
 * or its answer could not be used. Shaped as Synapse does (status, errcode when the server sent
 * one, message), which is what clients log.
 */
export function remoteFailure(err: unknown): JsonObject {
  if (err instanceof FederationHttpError) {
    const failure: JsonObject = { status: err.status, message: err.message };
    if (err.errcode !== undefined) failure['errcode'] = err.errcode;
    return failure;
  }
  if (err instanceof FederationTimeoutError) return { status: 504, message: err.message };
  return { status: 503, message: err instanceof Error ? err.message : String(err) };
}

/** Clients ask with `timeout` in ms (10 s recommended); kept within reason. */
export function remoteTimeoutMs(timeout: number | undefined): number {
  if (timeout === undefined) return 10_000;
  return Math.min(Math.max(timeout, 1_000), 60_000);
}
