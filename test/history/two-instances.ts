import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditedEntityType } from '../../src/audit/record-audit';
import { AppConfig, DatabaseConfig } from '../../src/config';
import { imageOf } from '../../src/history/row-image';
import { ConfigSnapshot } from '../../src/snapshot/config-snapshot';
import { SnapshotStore } from '../../src/snapshot/snapshot-store';
import { startTestGateway, TestGateway, WITH_SNAPSHOT } from '../support/gateway';
import { MYSQL_URL, withServerConnection } from '../support/mysql';

/** Two gateways on one database, each with its own snapshot (polling off: the tests refresh by hand). */
export interface TwoInstances {
  a: TestGateway;
  b: TestGateway;
  close(): Promise<void>;
}

async function sharedDatabase(kind: 'sqlite' | 'mysql'): Promise<{ database: DatabaseConfig; drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'mcg-two-'));
    return { database: { type: 'sqlite', path: join(dir, 'config.sqlite') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `mcg_two_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withServerConnection((c) => c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  return {
    database: { type: 'mysql', url: url.toString() },
    drop: async () => void (await withServerConnection((c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``))),
  };
}

export async function startTwoInstances(kind: 'sqlite' | 'mysql', overrides: Partial<AppConfig> = {}): Promise<TwoInstances> {
  const { database, drop } = await sharedDatabase(kind);
  const a = await startTestGateway(kind, { ...WITH_SNAPSHOT, ...overrides, database });
  const b = await startTestGateway(kind, { ...WITH_SNAPSHOT, ...overrides, database, migrationsRun: false });
  return {
    a,
    b,
    async close() {
      await b.close();
      await a.close();
      await drop();
    },
  };
}

/** A snapshot as plain data: every row as its image (passwords included), with the revision. */
export function snapshotImage(dataSource: DataSource, snapshot: ConfigSnapshot) {
  const image = (type: AuditedEntityType) => (row: object) => imageOf(dataSource, type, row);
  const byKey = (rows: Record<string, unknown>[], key = 'id') => [...rows].sort((x, y) => String(x[key]).localeCompare(String(y[key])));
  return {
    revision: snapshot.revision,
    servers: byKey(snapshot.serverList.map(image('SmtpServer'))),
    libraries: byKey(snapshot.libraryList.map(image('Library'))),
    departments: byKey([...snapshot.departments.values()].map(image('Department'))),
    definitions: byKey(snapshot.definitionList.map(image('SettingDefinition')), 'key'),
    values: byKey(
      [...snapshot.globalValues, ...[...snapshot.libraryValues.values()].flat(), ...[...snapshot.departmentValues.values()].flat()].map(image('SettingValue')),
    ),
  };
}

/** What a full load of the database gives now. */
export async function fullLoad(gw: TestGateway) {
  const quiet = { log: () => undefined };
  return snapshotImage(gw.dataSource, await new SnapshotStore(gw.dataSource, quiet).reload());
}

export const currentImage = (gw: TestGateway) => snapshotImage(gw.dataSource, gw.services.snapshots!.current!);
