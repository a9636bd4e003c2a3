import { ApiError, ErrorCode } from './errors';

/** At most `limit` events per key in any window of `windowMs` (kept in memory, per instance). */
export class RateLimiter {
  private readonly events = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string, what: string): void {
    const now = this.now();
    const recent = (this.events.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.limit) {
      const retryAfterMs = this.windowMs - (now - recent[0]);
      this.events.set(key, recent);
      throw new ApiError(ErrorCode.RATE_LIMITED, `At most ${this.limit} ${what} per minute; try again in ${Math.ceil(retryAfterMs / 1000)} s`, {
        retryAfterMs,
      });
    }
    recent.push(now);
    this.events.set(key, recent);
  }
}
