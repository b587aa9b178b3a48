/**
 * Retry delays for a destination that keeps failing: exponential from the minimum, capped, with
 * ±20% jitter so destinations that failed together (our own network blipped) do not all retry
 * in the same instant.
 */

export interface BackoffPolicy {
  readonly minIntervalMs: number;
  readonly multiplier: number;
  readonly maxIntervalMs: number;
}

/** Delay before the next attempt after `failureCount` consecutive failures (≥ 1). */
export function retryDelayMs(policy: BackoffPolicy, failureCount: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, failureCount - 1);
  // Computed in floating point, then capped: multiplier^exponent may overflow to Infinity.
  const raw = policy.minIntervalMs * Math.pow(policy.multiplier, exponent);
  const capped = Math.min(policy.maxIntervalMs, Number.isFinite(raw) ? raw : policy.maxIntervalMs);
  const jittered = capped * (0.8 + 0.4 * random());
  return Math.round(Math.min(policy.maxIntervalMs, jittered));
}
