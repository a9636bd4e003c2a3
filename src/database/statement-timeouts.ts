import { DataSource, EntityManager } from 'typeorm';
import { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver';
import { MysqlQueryRunner } from 'typeorm/driver/mysql/MysqlQueryRunner';
import type { ReplicationMode } from 'typeorm/driver/types/ReplicationMode';
import { isDatabaseUnavailable } from '../common/errors';
import { DatabaseTimeouts } from '../config';

/** A statement or a connection the database did not answer in time; the connection was destroyed. */
export class DatabaseTimeoutError extends Error {
  readonly code = 'DATABASE_TIMEOUT';

  constructor(what: string, ms: number) {
    super(`the database did not answer ${what} within ${ms} ms`);
  }
}

/**
 * COMMIT was sent but its answer never came: the database may have committed or not.
 * Callers must not report such a write as failed.
 */
export class CommitOutcomeUnknownError extends Error {
  readonly code = 'COMMIT_OUTCOME_UNKNOWN';

  constructor(override readonly cause: unknown) {
    super('the database did not confirm COMMIT; the write may or may not have been applied');
  }
}

interface PoolConnection {
  release(): void;
  destroy(): void;
  stream?: { destroy?: () => void };
}

/** Waits at most `ms` for a pooled connection; one that arrives later goes back to the pool. */
function acquireWithin(driver: MysqlDriver, ms: number): Promise<PoolConnection> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new DatabaseTimeoutError('a connection request', ms));
    }, ms);
    driver.obtainMasterConnection().then(
      (connection: PoolConnection) => {
        clearTimeout(timer);
        if (late) connection.release();
        else resolve(connection);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * mysql2's own `timeout` query option only rejects the promise: the statement stays on the
 * connection and runs when the server wakes up. Here a statement that outlives its limit has its
 * connection destroyed, so an unfinished transaction dies with it and the server rolls it back.
 */
export class BoundedMysqlQueryRunner extends MysqlQueryRunner {
  constructor(
    driver: MysqlDriver,
    mode: ReplicationMode,
    public limits: { queryMs: number; acquireMs: number } | null,
  ) {
    super(driver, mode);
  }

  override connect(): Promise<any> {
    if (!this.limits) return super.connect();
    if (this.databaseConnection) return Promise.resolve(this.databaseConnection);
    this.databaseConnectionPromise ??= acquireWithin(this.driver, this.limits.acquireMs).then((connection) => (this.databaseConnection = connection));
    return this.databaseConnectionPromise;
  }

  override async query(sql: string, parameters?: any[], useStructuredResult = false): Promise<any> {
    if (!this.limits || this.isReleased) return super.query(sql, parameters, useStructuredResult);
    const connection = (await this.connect()) as PoolConnection;
    const ms = this.limits.queryMs;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        cut(connection);
        reject(new DatabaseTimeoutError(`a statement (${sql.slice(0, 40).split(' ')[0]})`, ms));
      }, ms);
    });
    try {
      return await Promise.race([super.query(sql, parameters, useStructuredResult), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  override async commitTransaction(): Promise<void> {
    const realCommit = this.transactionDepth === 1;
    try {
      await super.commitTransaction();
    } catch (error) {
      // A COMMIT that failed with an SQL error did not commit; one whose answer was lost may have.
      if (realCommit && isDatabaseUnavailable(error)) throw new CommitOutcomeUnknownError(error);
      throw error;
    }
  }
}

function cut(connection: PoolConnection): void {
  // destroy() alone takes the connection out of the pool but only half-closes the socket;
  // tearing the socket down makes a stopped server see the client gone as soon as it wakes.
  connection.destroy();
  connection.stream?.destroy?.();
}

const limitsOf = new WeakMap<DataSource, DatabaseTimeouts>();

/**
 * Makes every statement of a MySQL/MariaDB DataSource bounded. Migrations are left unbounded:
 * cutting a long ALTER TABLE would not stop it on the server, only lose track of it.
 */
export function boundStatements(dataSource: DataSource, timeouts: DatabaseTimeouts): void {
  limitsOf.set(dataSource, timeouts);
  if (!(dataSource.driver instanceof MysqlDriver)) return;
  const driver = dataSource.driver;
  let migrating = 0;
  driver.createQueryRunner = (mode: ReplicationMode) => new BoundedMysqlQueryRunner(driver, mode, migrating > 0 ? null : timeouts);
  for (const name of ['runMigrations', 'undoLastMigration'] as const) {
    const original = dataSource[name].bind(dataSource) as (...args: unknown[]) => Promise<unknown>;
    (dataSource as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      migrating += 1;
      try {
        return await original(...args);
      } finally {
        migrating -= 1;
      }
    };
  }
}

/** The timeouts a DataSource was created with, or null when none apply (SQLite). */
export function statementTimeoutsOf(dataSource: DataSource): DatabaseTimeouts | null {
  return dataSource.driver instanceof MysqlDriver ? (limitsOf.get(dataSource) ?? null) : null;
}

/**
 * Runs `work` on a connection of its own whose acquisition and statements are each bounded by
 * `ms` (a short check that must not wait for the general query timeout).
 */
export async function withinMs<T>(dataSource: DataSource, ms: number, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (!(dataSource.driver instanceof MysqlDriver)) return work(dataSource.manager);
  const runner = dataSource.createQueryRunner() as BoundedMysqlQueryRunner;
  runner.limits = { queryMs: ms, acquireMs: ms };
  try {
    return await work(runner.manager);
  } finally {
    await runner.release();
  }
}
