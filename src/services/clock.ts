/** Time as the services see it; tests pass a clock they can move forward (token expiry, rate limits). */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
