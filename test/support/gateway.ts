import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { signToken, TokenClaims } from '../../src/auth/token-verifier';
import { Logger } from '../../src/common/logger';
import { AppConfig, DatabaseConfig } from '../../src/config';
import { createApp } from '../../src/app';
import { Services } from '../../src/context';
import { StatementCounter } from '../../src/database/statement-counter';
import { ShutdownTimings } from '../../src/http/shutdown';
import { MYSQL_URL, withServerConnection } from './mysql';

export type DatabaseKind = 'sqlite' | 'mysql';
export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
/** Nothing is in flight when a test closes its gateway; no need to wait out the keep-alive grace. */
export const QUICK_SHUTDOWN: ShutdownTimings = { idleGraceMs: 0, uploadGraceMs: 0, drainMs: 2000 };
export const TEST_MAIL_CONFIG_KEY = Buffer.alloc(32, 7).toString('base64');

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data: T | null | undefined;
  errors: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }> | undefined;
}

export interface TestGateway {
  kind: DatabaseKind;
  url: string;
  config: AppConfig;
  dataSource: DataSource;
  services: Services;
  counter: StatementCounter;
  logLines: string[];
  token(claims: Partial<TokenClaims> & { roles: string[] }): Promise<string>;
  tokens: { support: string; service: string; credentials: string };
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResponse<T>>;
  /** Like gql, but fails the test when the response has errors. */
  ok<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<T>;
  /** The number of SQL statements `work` caused. */
  countStatements(work: () => Promise<unknown>): Promise<number>;
  close(): Promise<void>;
}

export function mysqlAvailable(): boolean {
  return process.env.TEST_MYSQL_AVAILABLE === '1';
}

/** The configuration every test gateway starts from: fixed secrets, no sink, DNS pointed nowhere. */
export function testConfig(database: DatabaseConfig): AppConfig {
  return {
    production: false,
    host: '127.0.0.1',
    secrets: { key: TEST_MAIL_CONFIG_KEY, oldKeys: [], devKeyFile: '' },
    port: 0,
    database,
    auth: { jwtSecret: TEST_JWT_SECRET, generated: false, devSecretFile: '' },
    migrationsRun: true,
    demoData: false,
    testMailRatePerMinute: 1000,
    graphql: { introspection: true, maxDepth: 12, maxAliases: 30, maxFields: 500, maxBodyBytes: 1024 * 1024, maxTokens: 20_000 },
    graphqlIde: true,
    queryCost: { maxCost: 1_000_000, maxResponseBytes: 64 * 1024 * 1024 },
    mailSinkPort: null,
    dns: { servers: ['127.0.0.1:9'], timeoutMs: 500, cacheSeconds: 0 },
    dnsLimits: { lookupsPerRequest: 200, lookupsPerMinute: 2000 },
    smtpDnsServers: [],
    cache: { enabled: false, refreshMs: 0 },
    logLevel: 'info',
    memory: { responseCacheBytes: 32 * 2 ** 20, responseCacheEntryBytes: 8 * 2 ** 20, documentCacheBytes: 16 * 2 ** 20, persistedQueryBytes: 4 * 2 ** 20 },
    cors: { origins: ['http://localhost:*', 'http://127.0.0.1:*'] },
    probes: { intervalMs: 0, concurrency: 4 },
    history: { days: 400 },
  };
}

async function createDatabase(kind: DatabaseKind): Promise<{ database: DatabaseConfig; drop: () => Promise<void> }> {
  if (kind === 'sqlite') return { database: { type: 'sqlite', path: ':memory:' }, drop: async () => {} };
  const name = `mcg_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withServerConnection((c) => c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  return {
    database: { type: 'mysql', url: url.toString() },
    drop: () => withServerConnection((c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``)).then(() => undefined),
  };
}

/**
 * A gateway on a fresh database, or on `overrides.database` when given (a second instance on the
 * database of another; that database is then neither created nor dropped here).
 */
export async function startTestGateway(kind: DatabaseKind, overrides: Partial<AppConfig> = {}, mailbox?: () => unknown[]): Promise<TestGateway> {
  const { database, drop } = overrides.database ? { database: overrides.database, drop: async () => {} } : await createDatabase(kind);
  const config = { ...testConfig(database), ...overrides };
  const logLines: string[] = [];
  const logger: Logger = { log: (level, msg, fields) => logLines.push(JSON.stringify({ level, msg, ...fields })) };
  const app = createApp(config, { logger, mailbox, shutdown: QUICK_SHUTDOWN });
  await app.open();
  const url = await app.listen(0);
  const { dataSource, services, counter } = app;
  const token = (claims: Partial<TokenClaims> & { roles: string[] }) => signToken(TEST_JWT_SECRET, { sub: 'tester', ...claims });
  const tokens = {
    support: await token({ sub: 'support-1', roles: ['support'] }),
    service: await token({ sub: 'service-1', roles: ['service'] }),
    credentials: await token({ sub: 'service-2', roles: ['service'], scope: 'mail:credentials' }),
  };

  async function gql<T>(query: string, variables: Record<string, unknown> = {}, authToken: string | null = tokens.support): Promise<GraphQLResponse<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authToken) headers.authorization = `Bearer ${authToken}`;
    const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: T; errors?: GraphQLResponse['errors'] };
    return { status: response.status, data: body.data, errors: body.errors };
  }

  return {
    kind,
    url,
    config,
    dataSource,
    services,
    counter,
    logLines,
    token,
    tokens,
    gql,
    async ok<T>(query: string, variables?: Record<string, unknown>, authToken?: string | null): Promise<T> {
      const result = await gql<T>(query, variables, authToken === undefined ? tokens.support : authToken);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors, null, 2)}`);
      return result.data as T;
    },
    async countStatements(work) {
      const before = counter.count;
      await work();
      return counter.count - before;
    },
    async close() {
      await app.close();
      await drop();
    },
  };
}

/** The configuration snapshot cache as production runs it (polling off, so statement counts stay exact). */
export const WITH_SNAPSHOT: Partial<AppConfig> = { cache: { enabled: true, refreshMs: 0 } };

/**
 * Runs a block of GraphQL tests once on SQLite and once on MySQL/MariaDB, each with a fresh
 * database. Without a reachable MySQL the MySQL block is skipped (and the run says so).
 */
export function describeEachDatabase(title: string, body: (gateway: () => TestGateway) => void, overrides: Partial<AppConfig> = {}, label = ''): void {
  for (const kind of ['sqlite', 'mysql'] as const) {
    const run = kind === 'sqlite' || mysqlAvailable() ? describe : describe.skip;
    run(`${title} [${kind}${label}]`, () => {
      let current: TestGateway | null = null;
      beforeAll(async () => {
        current = await startTestGateway(kind, overrides);
      });
      afterAll(async () => {
        await current?.close();
      });
      body(() => {
        if (!current) throw new Error('gateway not started');
        return current;
      });
    });
  }
}
