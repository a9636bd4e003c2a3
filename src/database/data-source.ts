import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { DatabaseConfig, DEFAULT_DATABASE_TIMEOUTS } from '../config';
import { migrations } from '../../migrations';
import { entities } from './entities';
import { StatementCounter } from './statement-counter';
import { boundStatements } from './statement-timeouts';

/** The one DataSource definition used by the gateway, the tests and the TypeORM CLI. */
export function createDataSource(database: DatabaseConfig, counter = new StatementCounter()): DataSource {
  const common = {
    entities,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    logger: counter,
    logging: ['query', 'error'] as const,
  };
  const timeouts = database.timeouts ?? DEFAULT_DATABASE_TIMEOUTS;
  let options: DataSourceOptions;
  if (database.type === 'sqlite') {
    if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true });
    options = { ...common, logging: [...common.logging], type: 'better-sqlite3', database: database.path, enableWAL: database.path !== ':memory:' };
  } else {
    // connectTimeout bounds the handshake of a new pooled connection (mysql2 has no acquire timeout;
    // statement-timeouts.ts bounds the wait for a free one).
    options = {
      ...common,
      logging: [...common.logging],
      type: 'mysql',
      url: database.url,
      timezone: 'Z',
      charset: 'utf8mb4_unicode_ci',
      connectTimeout: timeouts.acquireMs,
    };
  }
  // SQLite is not bounded: better-sqlite3 runs in-process and synchronously, so there is no remote
  // peer to hang, and a statement could not be interrupted from the event loop it blocks anyway.
  const dataSource = new DataSource(options);
  boundStatements(dataSource, timeouts);
  return dataSource;
}

export function statementCounterOf(dataSource: DataSource): StatementCounter {
  return dataSource.logger as StatementCounter;
}
