import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { DatabaseConfig } from '../config';
import { migrations } from '../../migrations';
import { entities } from './entities';
import { StatementCounter } from './statement-counter';

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
  let options: DataSourceOptions;
  if (database.type === 'sqlite') {
    if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true });
    options = { ...common, logging: [...common.logging], type: 'better-sqlite3', database: database.path, enableWAL: database.path !== ':memory:' };
  } else {
    options = { ...common, logging: [...common.logging], type: 'mysql', url: database.url, timezone: 'Z', charset: 'utf8mb4_unicode_ci' };
  }
  return new DataSource(options);
}

export function statementCounterOf(dataSource: DataSource): StatementCounter {
  return dataSource.logger as StatementCounter;
}
