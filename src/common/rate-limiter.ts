import { createHash } from 'node:crypto';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterMySQL, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver';
import { callbackPool } from '../database/callback-pool';
import { ApiError, ErrorCode } from './errors';
import { Logger } from './logger';

/** Created by the RateLimit migration (MySQL/MariaDB only). */
const TABLE = 'rate_limit';

export interface RateLimitOptions {
  perMinute: number;
  /** Keeps the counters of different limits apart in the shared table. */
  name: string;
  logger: Logger;
}

/**
 * At most `perMinute` events per key in a one-minute window. On MySQL/MariaDB the counters live in
 * the database, so all instances share one budget; on SQLite (a single instance) they live in memory.
 */
export class RateLimiter {
  constructor(
    private readonly store: RateLimiterAbstract,
    private readonly fallback: RateLimiterAbstract | null,
    private readonly options: RateLimitOptions,
  ) {}

  async take(key: string, what: string): Promise<void> {
    // Hashed: any identity fits the key column, and the table holds no identity in clear.
    const hashed = createHash('sha256').update(key).digest('base64url');
    try {
      await this.consume(hashed);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const retryAfterMs = Math.max(error.msBeforeNext, 1);
      throw new ApiError(ErrorCode.RATE_LIMITED, `At most ${this.options.perMinute} ${what} per minute; try again in ${Math.ceil(retryAfterMs / 1000)} s`, {
        retryAfterMs,
      });
    }
  }

  private async consume(key: string): Promise<void> {
    try {
      await this.store.consume(key);
    } catch (error) {
      if (error instanceof RateLimiterRes || !this.fallback) throw error;
      // The database did not answer (its statements are bounded, so this comes within
      // DB_ACQUIRE_TIMEOUT_MS + DB_QUERY_TIMEOUT_MS). Refusing every test mail while it is down
      // would take away the tool support staff use to diagnose mail then; counting in memory keeps
      // a limit (per instance, as before the shared store) until the database is back.
      this.options.logger.log('warn', 'rate limit store unavailable; counting in memory', {
        limit: this.options.name,
        error: error instanceof Error ? error.message.split('\n')[0] : String(error),
      });
      await this.fallback.consume(key);
    }
  }
}

export function createRateLimiter(dataSource: DataSource, options: RateLimitOptions): RateLimiter {
  const limits = { points: options.perMinute, duration: 60, keyPrefix: options.name };
  const memory = new RateLimiterMemory(limits);
  if (!(dataSource.driver instanceof MysqlDriver)) return new RateLimiter(memory, null, options);
  const shared = new RateLimiterMySQL({
    ...limits,
    storeClient: callbackPool(dataSource),
    storeType: 'pool',
    dbName: dataSource.driver.database,
    tableName: TABLE,
    tableCreated: true,
  });
  return new RateLimiter(shared, memory, options);
}
