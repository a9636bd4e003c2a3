import { DataSource } from 'typeorm';

type Done = (error: unknown, result?: unknown) => void;

/** The connection shape callback-style MySQL clients (rate-limiter-flexible's store) expect. */
export interface CallbackConnection {
  query(sql: string, values: unknown[] | Done, done?: Done): void;
  rollback(): void;
  release(): void;
}

/**
 * A mysql-style pool (`getConnection(callback)`) served by the DataSource's own query runners, so
 * such a client needs no second pool or credentials, and its statements are bounded like every
 * other one (DB_ACQUIRE_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS): a hung database cuts the connection,
 * which also rolls back a transaction the client left open.
 */
export function callbackPool(dataSource: DataSource): { getConnection(callback: (error: unknown, connection?: CallbackConnection) => void): void } {
  return {
    getConnection(callback) {
      let runner;
      try {
        runner = dataSource.createQueryRunner();
      } catch (error) {
        callback(error);
        return;
      }
      const owned = runner;
      // The client calls rollback() and release() back to back; the ROLLBACK must reach the
      // connection before it returns to the pool, or the next user inherits an open transaction.
      let rollingBack: Promise<unknown> = Promise.resolve();
      callback(null, {
        query(sql, values, done) {
          const [parameters, finish] = typeof values === 'function' ? [undefined, values] : [values, done as Done];
          owned.query(sql, parameters).then(
            (result) => finish(null, result),
            (error) => finish(error),
          );
        },
        rollback() {
          rollingBack = owned.query('ROLLBACK').catch(() => undefined);
        },
        release() {
          void rollingBack.then(() => owned.release()).catch(() => undefined);
        },
      });
    },
  };
}
