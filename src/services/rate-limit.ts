import type { RateLimitSetting } from '../config.js';
import type { Clock } from './clock.js';
import { limitExceeded } from './errors.js';

/**
 * Leaky-bucket rate limiting, as Synapse does it: each (bucket, key) holds a level that drains
 * at `perSecond`; an action is allowed while level + cost <= burstCount. Keys are user IDs or
 * client IPs. Memory stays bounded: drained buckets are swept as new ones are created.
 */

interface Level {
  level: number;
  at: number;
  perSecond: number;
}

const SWEEP_EVERY = 1024;
/** Past this many live buckets the oldest are dropped (forgiving some clients beats running out of memory). */
const MAX_BUCKETS = 200_000;

export class RateLimiter {
  private readonly levels = new Map<string, Level>();
  private insertsSinceSweep = 0;

  constructor(private readonly clock: Clock) {}

  /** Records one action, or throws M_LIMIT_EXCEEDED (429, retry_after_ms, Retry-After). */
  take(bucket: string, key: string, setting: RateLimitSetting, cost = 1): void {
    const wait = this.waitFor(bucket, key, setting, cost);
    if (wait > 0) throw limitExceeded(wait);
    this.add(bucket, key, setting, cost);
  }

  /** Throws like `take` but records nothing (e.g. "has this account failed too often?"). */
  check(bucket: string, key: string, setting: RateLimitSetting, cost = 1): void {
    const wait = this.waitFor(bucket, key, setting, cost);
    if (wait > 0) throw limitExceeded(wait);
  }

  /** Records an action without checking (e.g. a failed login attempt). */
  record(bucket: string, key: string, setting: RateLimitSetting, cost = 1): void {
    this.add(bucket, key, setting, cost);
  }

  /** Milliseconds until `cost` more actions fit; 0 when they fit now. */
  private waitFor(bucket: string, key: string, setting: RateLimitSetting, cost: number): number {
    if (setting.perSecond === Infinity || setting.burstCount === Infinity) return 0;
    const level = this.current(`${bucket}\0${key}`, setting);
    const excess = level + cost - setting.burstCount;
    if (excess <= 0) return 0;
    if (setting.perSecond <= 0) return 3_600_000;
    return (excess / setting.perSecond) * 1000;
  }

  private add(bucket: string, key: string, setting: RateLimitSetting, cost: number): void {
    if (setting.perSecond === Infinity || setting.burstCount === Infinity) return;
    const id = `${bucket}\0${key}`;
    const level = this.current(id, setting);
    if (!this.levels.has(id) && ++this.insertsSinceSweep >= SWEEP_EVERY) this.sweep();
    this.levels.set(id, { level: level + cost, at: this.clock.now(), perSecond: setting.perSecond });
  }

  private current(id: string, setting: RateLimitSetting): number {
    const entry = this.levels.get(id);
    if (!entry) return 0;
    const drained = ((this.clock.now() - entry.at) / 1000) * setting.perSecond;
    return Math.max(0, entry.level - drained);
  }

  /** Drops drained buckets, then the oldest ones if there are still too many. */
  private sweep(): void {
    this.insertsSinceSweep = 0;
    const now = this.clock.now();
    for (const [id, e] of this.levels) if (e.level - ((now - e.at) / 1000) * e.perSecond <= 0) this.levels.delete(id);
    for (const id of this.levels.keys()) {
      if (this.levels.size <= MAX_BUCKETS) break;
      this.levels.delete(id);
    }
  }
}
