import { DnsLookupError } from './dns-errors';
import { DnsAnswers, DnsMeter, DnsResolve, DnsRrType, MeteredDnsResolve } from './dns-types';

export const DNS_BUDGET_CODE = 'EDNSBUDGET';
export const DNS_RATE_CODE = 'EDNSRATE';

/** A lookup that was not sent because a limit was reached; `limitReason` names the limit and its size. */
export class DnsLimitError extends DnsLookupError {
  constructor(
    code: typeof DNS_BUDGET_CODE | typeof DNS_RATE_CODE,
    readonly limitReason: string,
    readonly limit: number,
    hostname: string,
    rrtype: string,
  ) {
    super(code, hostname, rrtype, limitReason);
    this.name = 'DnsLimitError';
  }
}

export function isDnsLimitError(err: unknown): err is DnsLimitError {
  return err instanceof DnsLimitError;
}

/**
 * DNS queries per identity (token subject) and minute, as a token bucket: a burst of `perMinute`,
 * then refilled evenly. Idle identities are forgotten first once `maxIdentities` are tracked.
 */
export class DnsRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxIdentities = 10_000,
  ) {}

  take(key: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + ((now - bucket.at) * this.perMinute) / 60_000);
    bucket.at = now;
    // Re-inserting keeps the map in least-recently-used order for eviction.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxIdentities) this.buckets.delete(this.buckets.keys().next().value as string);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/**
 * The DNS queries one GraphQL request may send, shared by every check of that request (aliases,
 * list items, batched operations), and charged to the caller's per-minute rate as well.
 * Only queries that reach the network are charged: cache hits and joined in-flight lookups are free.
 */
export class DnsBudget implements DnsMeter {
  private used = 0;
  private refusal: DnsLimitError | null = null;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly limit: number,
    private readonly rate: DnsRateLimiter,
    private readonly identity: string,
    /** SPF evaluations of the request that run at once; the rest wait, and skip once a limit is hit. */
    private readonly concurrency = 8,
  ) {}

  /**
   * Runs one SPF evaluation when a slot is free. Started all at once, hundreds of evaluations would
   * each be past the budget check before the budget ran out, and spend the CPU anyway.
   */
  async evaluation<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
    try {
      return await work();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }

  get spent(): number {
    return this.used;
  }

  /**
   * The limit this request has run into, if any. Work that would only end in refused lookups
   * (an SPF evaluation, a suggestion) is skipped then: a request past its budget costs no more CPU.
   */
  stopped(): DnsLimitError | null {
    return this.refusal;
  }

  spend(name: string, rrtype: string): void {
    if (this.used >= this.limit) {
      const reason = `the request's budget of ${this.limit} DNS queries (DNS_LOOKUPS_PER_REQUEST) is used up`;
      throw (this.refusal = new DnsLimitError(DNS_BUDGET_CODE, reason, this.limit, name, rrtype));
    }
    if (!this.rate.take(this.identity)) {
      const reason = `the limit of ${this.rate.perMinute} DNS queries per minute for this identity (DNS_LOOKUPS_PER_MINUTE) is reached`;
      throw (this.refusal = new DnsLimitError(DNS_RATE_CODE, reason, this.rate.perMinute, name, rrtype));
    }
    this.used += 1;
  }
}

/** Binds a meter to a shared resolver, giving the plain `DnsResolve` the checks work with. */
export function meteredBy(resolve: MeteredDnsResolve, meter: DnsMeter): DnsResolve {
  return (<T extends DnsRrType>(name: string, rrtype: T): Promise<DnsAnswers[T]> => resolve(name, rrtype, meter)) as DnsResolve;
}
