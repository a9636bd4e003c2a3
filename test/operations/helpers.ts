import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { signToken } from '../../src/auth/token-verifier';
import { Logger } from '../../src/common/logger';
import { AppConfig, DatabaseConfig } from '../../src/config';
import { createApp } from '../../src/app';
import { Services } from '../../src/context';
import { StatementCounter } from '../../src/database/statement-counter';
import { Metrics } from '../../src/observability/metrics';
import { GraphQLResponse, QUICK_SHUTDOWN, TEST_JWT_SECRET, TEST_MAIL_CONFIG_KEY, testConfig } from '../support/gateway';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The promise's value, or null when it has not settled within `ms` (the timer never outlives it). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `probe` until it returns a value other than undefined; returns it with the time it took. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 25): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return { value, ms: Date.now() - started };
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await sleep(everyMs);
  }
}

export async function postGraphQL<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token: string | null = null,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T> & { headers: Headers }> {
  const all: Record<string, string> = { 'content-type': 'application/json', ...headers };
  if (token) all.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: all, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: T; errors?: GraphQLResponse['errors'] };
  return { status: response.status, data: body.data, errors: body.errors, headers: response.headers };
}

export function supportToken(sub = 'ops-support'): Promise<string> {
  return signToken(TEST_JWT_SECRET, { sub, roles: ['support'] });
}

function operationsConfig(database: DatabaseConfig, overrides: Partial<AppConfig>): AppConfig {
  return { ...testConfig(database), cache: { enabled: true, refreshMs: 0 }, ...overrides };
}

export interface OpsGateway {
  url: string;
  dataSource: DataSource;
  services: Services;
  metrics: Metrics;
  counter: StatementCounter;
  logLines: string[];
  token: string;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  ok<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  countStatements(work: () => Promise<unknown>): Promise<number>;
  get(path: string): Promise<{ status: number; text: string }>;
  /** Stops the gateway and closes its DataSource; the database itself stays. */
  close(): Promise<void>;
}

/**
 * An in-process gateway on a database the caller owns (a SQLite file, or a MySQL URL shared with
 * other instances), wired as main.ts wires it: one Metrics for the services and /metrics, the
 * snapshot loaded and polled every `cache.refreshMs`.
 */
export async function startGatewayOn(database: DatabaseConfig, overrides: Partial<AppConfig> = {}): Promise<OpsGateway> {
  const config = operationsConfig(database, overrides);
  const logLines: string[] = [];
  const logger: Logger = { log: (level, msg, fields) => logLines.push(JSON.stringify({ level, msg, ...fields })) };
  const app = createApp(config, { logger, shutdown: QUICK_SHUTDOWN });
  await app.open();
  const url = await app.listen(0);
  const { dataSource, services, metrics, counter } = app;
  const token = await supportToken();
  const gql = <T>(query: string, variables: Record<string, unknown> = {}) => postGraphQL<T>(url, query, variables, token);
  return {
    url,
    dataSource,
    services,
    metrics,
    counter,
    logLines,
    token,
    gql,
    async ok<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
      const result = await gql<T>(query, variables);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors, null, 2)}`);
      return result.data as T;
    },
    async countStatements(work) {
      const before = counter.count;
      await work();
      return counter.count - before;
    },
    async get(path) {
      const response = await fetch(`${url}${path}`);
      return { status: response.status, text: await response.text() };
    },
    close: () => app.close(),
  };
}

/** The value of one Prometheus sample line (`name{labels} value`), or null when absent. */
export function metricValue(text: string, series: string): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    if (cut > 0 && line.slice(0, cut) === series) return Number(line.slice(cut + 1));
  }
  return null;
}

export const CREATE_SERVER = `mutation($input: SmtpServerInput!) { createSmtpServer(input: $input) { id name } }`;
export const CREATE_LIBRARY = `mutation($input: LibraryInput!) { createLibrary(input: $input) { id code version } }`;
export const CREATE_DEPARTMENT = `mutation($input: DepartmentInput!) { createDepartment(input: $input) { id } }`;
export const UPDATE_LIBRARY = `mutation($id: ID!, $input: LibraryUpdateInput!, $expectedVersion: Int) {
  updateLibrary(id: $id, input: $input, expectedVersion: $expectedVersion) { id version smtpServer { name } }
}`;
export const EFFECTIVE = `query Effective($libraryId: ID!, $departmentId: ID, $purpose: MailPurpose! = GENERAL) {
  effectiveMailConfig(libraryId: $libraryId, departmentId: $departmentId, purpose: $purpose) {
    servers { name } sender { formatted } problems { code } stale
  }
}`;

// ---------------------------------------------------------------------------------------------
// Gateway processes (src/main.ts run as a real child process)

export interface GatewayProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited: its code, signal and when. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  readonly running: boolean;
  /** From spawn to the first 200 on /healthz. */
  startupMs: number;
  /** SIGKILL if still running (cleanup only). */
  kill(): Promise<void>;
}

/**
 * Starts `node -r ts-node/register/transpile-only src/main.ts` with only the environment given
 * here (plus PATH/HOME), so no NODE_ENV=test from Jest leaks into it: it runs as it would in a
 * deployment. Resolves once GET /healthz answers 200.
 */
export async function spawnGateway(name: string, port: number, env: Record<string, string>, startTimeoutMs = 30_000): Promise<GatewayProcess> {
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    PORT: String(port),
    HOST: '127.0.0.1',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    MAIL_CONFIG_KEY: TEST_MAIL_CONFIG_KEY,
    DEMO_DATA: 'false',
    MAIL_SINK_PORT: '0',
    LOG_LEVEL: 'info',
    // Probing would reach for the servers' hosts; test processes talk to loopback only.
    SMTP_PROBE_INTERVAL_S: '0',
    ...env,
  };
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: join(__dirname, '..', '..'),
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal, at: Date.now() });
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const proc: GatewayProcess = {
    name,
    port,
    url,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    get running() {
      return running;
    },
    startupMs: 0,
    async kill() {
      if (!running) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  const started = Date.now();
  for (;;) {
    if (!running) throw new Error(`gateway ${name} exited during start-up:\n${err}\n${out}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > startTimeoutMs) {
      await proc.kill();
      throw new Error(`gateway ${name} did not answer /healthz within ${startTimeoutMs} ms:\n${err}\n${out}`);
    }
    await sleep(50);
  }
  proc.startupMs = Date.now() - started;
  return proc;
}
